"""`eccs backup` and `eccs restore`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from eccs.audit.settings import AuditSettings
from eccs.backup import keys, postgres, service
from eccs.backup.errors import BackupError
from eccs.backup.retention import Retention
from eccs.backup.service import Sources
from eccs.platform.commands import console, database_settings, fail
from eccs.platform.settings import load

KeyFileOption = Annotated[
    Path,
    typer.Option(envvar="ECCS_BACKUP_KEY_FILE", help="The age key file backups are sealed with."),
]


def backup(
    context: typer.Context,
    to: Annotated[Path, typer.Option(envvar="ECCS_BACKUP_DIR", help="Where backups are kept.")],
    key_file: KeyFileOption,
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Create the key file first (never overwrites).")
    ] = False,
    keep_daily: Annotated[int, typer.Option(help="Keep the newest of this many days.")] = 7,
    keep_weekly: Annotated[int, typer.Option(help="Keep the newest of this many weeks.")] = 4,
) -> None:
    """Back up the database and the audit trail into one encrypted file, then prune old ones."""
    with _backup_errors():
        retention = Retention(keep_daily, keep_weekly)
        identity = keys.create_key_file(key_file) if new_key else keys.load_identity(key_file)
        taken = service.back_up(_sources(context), to, identity, retention, console.print)
    console.print(f"[green]✓[/] backed up to {taken.path}")
    for path in taken.pruned:
        console.print(f"  removed {path.name} (keeping {keep_daily} daily, {keep_weekly} weekly)")
    sys.stdout.write(f"{taken.path}\n")  # whole, for scripts: never wrapped


def restore(
    context: typer.Context,
    archive: Annotated[Path, typer.Argument(help="The backup file (eccs-backup-….tar).")],
    key_file: KeyFileOption,
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
        where = postgres.display_url(sources.database_url)
        if not yes and not typer.confirm(f"Replace the data at {where} with {archive.name}?"):
            raise typer.Exit(1)
        manifest = service.restore(sources, archive, identity, console.print)
    console.print(
        f"[green]✓[/] restored {archive.name} (made {manifest.created_at}, schema"
        f" {manifest.schema_revision}); run `eccs migrate` if this version of ECCS is newer"
    )


def _sources(context: typer.Context) -> Sources:
    return Sources.from_settings(database_settings(context), load(AuditSettings))


@contextlib.contextmanager
def _backup_errors() -> Iterator[None]:
    try:
        yield
    except BackupError as exc:
        raise fail(escape(str(exc))) from exc
