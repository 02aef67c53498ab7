"""`eccs backup` (now, `schedule`, `status`) and `eccs restore`."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pyrage import x25519
from rich.filesize import decimal
from rich.markup import escape

from eccs.audit.settings import AuditSettings
from eccs.backup import keys, service
from eccs.backup import schedule as schedules
from eccs.backup.errors import BackupError
from eccs.backup.retention import Retention
from eccs.backup.service import Sources
from eccs.platform.commands import console, database_settings, fail, report, without_password
from eccs.platform.settings import load

KEY_FILE = typer.Option(
    envvar="ECCS_BACKUP_KEY_FILE", help="The age key file backups are sealed with."
)

backup_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)


@dataclass(frozen=True)
class BackupOptions:
    """What `eccs backup` was given, for its subcommands."""

    to: Path | None
    key_file: Path | None
    new_key: bool
    retention: Retention

    def directory(self) -> Path:
        if self.to is None:
            raise BackupError("say where backups are kept: --to DIR (or ECCS_BACKUP_DIR)")
        return self.to

    def key_path(self) -> Path:
        if self.key_file is None:
            raise BackupError(
                "say which key seals the backups: --key-file FILE (or ECCS_BACKUP_KEY_FILE)"
            )
        return self.key_file

    def identity(self) -> x25519.Identity:
        """The key, made first with --new-key."""
        if self.new_key:
            return keys.create_key_file(self.key_path())
        return keys.load_identity(self.key_path())


@backup_app.callback()
def backup(
    context: typer.Context,
    to: Annotated[
        Path | None, typer.Option(envvar="ECCS_BACKUP_DIR", help="Where backups are kept.")
    ] = None,
    key_file: Annotated[Path | None, KEY_FILE] = None,
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Create the key file first (never overwrites).")
    ] = False,
    keep_daily: Annotated[int, typer.Option(help="Keep the newest of this many days.")] = 7,
    keep_weekly: Annotated[int, typer.Option(help="Keep the newest of this many weeks.")] = 4,
) -> None:
    """Back up the database and the audit trail into one encrypted file, then prune old ones.

    `eccs backup schedule` keeps doing it on a schedule; `eccs backup status` lists the backups.
    Options of `eccs backup` come before the subcommand: `eccs backup --to DIR status`."""
    with _backup_errors():
        options = BackupOptions(to, key_file, new_key, Retention(keep_daily, keep_weekly))
        if context.invoked_subcommand is not None:
            context.obj = options
            return
        directory, identity = options.directory(), options.identity()
        taken = service.back_up(
            _sources(context), directory, identity, options.retention, console.print
        )
    console.print(f"[green]✓[/] backed up to {taken.path}")
    for path in taken.pruned:
        console.print(f"  removed {path.name} (keeping {keep_daily} daily, {keep_weekly} weekly)")
    sys.stdout.write(f"{taken.path}\n")  # whole, for scripts: never wrapped


@backup_app.command()
def schedule(
    context: typer.Context,
    cron: Annotated[
        str,
        typer.Option(
            envvar="ECCS_BACKUP_SCHEDULE",
            help="When, in UTC: minute hour day-of-month month day-of-week.",
        ),
    ] = schedules.DEFAULT_CRON,
) -> None:
    """Take a backup at each time of a schedule, until stopped.

    One log line per run; the outcome of the last is kept for `eccs backup status`. When the
    last run failed, or a scheduled time went by while it was stopped, it takes one at once."""
    options = _options(context)
    with _backup_errors():
        plan = schedules.Schedule(cron)
        directory, key_file = options.directory(), options.key_path()
        options.identity()  # a missing key is said now, not at the first run
        sources, retention = _sources(context), options.retention

    def back_up() -> Path:
        identity = keys.load_identity(key_file)  # read each time: a replaced key is taken up
        return service.back_up(sources, directory, identity, retention, lambda _: None).path

    # A stop (SIGTERM from `podman-compose down` or Kubernetes) ends it as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        schedules.run_forever(plan, directory, back_up)
    except KeyboardInterrupt:
        schedules.log.info("backup schedule stopped")


@backup_app.command()
def status(
    context: typer.Context,
    grace: Annotated[
        int, typer.Option(help="Minutes a scheduled backup may take before it is overdue.")
    ] = int(schedules.DEFAULT_GRACE.total_seconds() // 60),
) -> None:
    """List the backups and say how the scheduled ones go.

    Exits with 1 when the last scheduled backup failed or one is overdue: the compose service's
    health check."""
    options = _options(context)
    with _backup_errors():
        directory = options.directory()
        for path in service.backups(directory):
            report.print(f"{path.name}  {decimal(path.stat().st_size)}", highlight=False)
        record = schedules.read_record(directory)
        if record is None:
            raise BackupError(
                f"no backup schedule has run on {directory}: see `eccs backup schedule`"
            )
        now = datetime.now(UTC)
        report.print(record.summary(now), highlight=False)
        if problem := record.problem(now, timedelta(minutes=grace)):
            raise BackupError(problem)


def restore(
    context: typer.Context,
    archive: Annotated[Path, typer.Argument(help="The backup file (eccs-backup-….tar).")],
    key_file: Annotated[Path, KEY_FILE],
    check: Annotated[bool, typer.Option("--check", help="Only check it; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Replace the data without asking.")] = False,
) -> None:
    """Restore a backup over the database (and MongoDB's audit trail), once it checks out whole."""
    with _backup_errors():
        identity = keys.load_identity(key_file)
        if check:
            manifest = service.verify(archive, identity)
            console.print(f"[green]✓[/] {archive.name} is intact (made {manifest.created_at})")
            return
        sources = _sources(context)
        where = without_password(sources.database_url)
        if not yes and not typer.confirm(f"Replace the data at {where} with {archive.name}?"):
            raise typer.Exit(1)
        manifest = service.restore(sources, archive, identity, console.print)
    console.print(
        f"[green]✓[/] restored {archive.name} (made {manifest.created_at}, schema"
        f" {manifest.schema_revision}); run `eccs migrate` if this version of ECCS is newer"
    )


def _options(context: typer.Context) -> BackupOptions:
    options = context.find_object(BackupOptions)
    assert options is not None, "`eccs backup` passes its options on"
    return options


def _sources(context: typer.Context) -> Sources:
    return Sources.from_settings(database_settings(context), load(AuditSettings))


@contextlib.contextmanager
def _backup_errors() -> Iterator[None]:
    try:
        yield
    except BackupError as exc:
        raise fail(escape(str(exc))) from exc
