"""The `eccs` command."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from eccs.platform.settings import ConfigError, DatabaseSettings, load

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text
    from sqlalchemy.ext.asyncio import AsyncSession

    from eccs.audit.events import AuditStore
    from eccs.backup.service import Sources
    from eccs.mail.dlq.repository import DeadLetterFilter
    from eccs.mail.dlq.service import DeadLetterService
    from eccs.platform.errors import AppError

app = typer.Typer(
    help="ECCS: a self-hosted transactional email platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
dlq_app = typer.Typer(help="Inspect and re-drive dead-lettered emails.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
email_app = typer.Typer(help="Act on one email as an operator.", no_args_is_help=True)
app.add_typer(email_app, name="email")
console = Console(stderr=True)
# What a command reports (tables, ids, its result) goes to stdout; progress, errors and log
# lines go to stderr, so that `ID=$(eccs user create ...)` or a pipe gets the result alone.
report = Console(soft_wrap=True)  # a line of output stays one line, however narrow


@app.callback()
def _logs_to_stderr() -> None:
    """Readable log lines on stderr for every command (`serve` and `up` set up their own)."""
    import os

    from eccs.platform.logging import configure_logging
    from eccs.platform.settings import LogSettings

    configure_logging(load(LogSettings, {"LOG_FORMAT": "console", **os.environ}))


DEFAULT_PORTS = {"auth": 8001, "email": 8002, "notification": 8003, "devmail": 8025}


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def database_settings() -> DatabaseSettings:
    """DATABASE_URL (or POSTGRES_*); without them, the embedded database in ECCS_DATA_DIR."""
    settings = load(DatabaseSettings)
    if settings.database_url is None and not _postgres_variables_set():
        return DatabaseSettings(database_url=_embedded_database_url())
    return settings


# What a command holds until it ends (the embedded database it started); closed by `main`.
held_until_exit = contextlib.ExitStack()


def _embedded_database_url() -> str:
    """The embedded database, started for this command (and stopped after it) unless running."""
    import os

    from eccs.embedded.database import embedded_database
    from eccs.embedded.errors import EmbeddedError

    try:
        return held_until_exit.enter_context(embedded_database(os.environ, console))
    except EmbeddedError as exc:
        raise fail(escape(str(exc))) from exc


def _postgres_variables_set() -> bool:
    import os

    return any(name in os.environ for name in ("POSTGRES_HOST", "POSTGRES_DB", "POSTGRES_USER"))


@app.command()
def migrate() -> None:
    """Apply database migrations to DATABASE_URL."""
    from eccs.platform import migrations

    settings = database_settings()
    with console.status("Applying migrations…"):
        try:
            migrations.upgrade(settings.sqlalchemy_url())
        except (OSError, ConfigError) as exc:
            raise fail(f"could not migrate {settings.libpq_url()}: {exc}") from exc
    report.print(f"[green]✓[/] database is at revision {migrations.head_revision()}")


@app.command()
def serve(
    service: Annotated[
        Literal["auth", "email", "notification", "devmail"],
        typer.Argument(help="Which service to run (devmail: the mail catcher, for trials)."),
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[
        int | None,
        typer.Option(help="Port (default 8001 auth, 8002 email, 8003 notification, 8025 devmail)."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run one service (distributed mode)."""
    import uvicorn

    from eccs.platform.logging import configure_logging
    from eccs.platform.settings import LogSettings

    configure_logging(load(LogSettings))
    if service == "devmail" and workers > 1:
        raise fail("the mail catcher keeps its inbox in one process: run it with --workers 1")
    factory = f"eccs.services.{service}:build"
    try:
        __import__(f"eccs.services.{service}")
    except ModuleNotFoundError as exc:
        raise fail(f"the {service} service is not available in this version") from exc
    if workers > 1:
        _share_metrics_between_workers()
    try:
        uvicorn.run(
            factory,
            factory=True,
            host=host,
            port=port or DEFAULT_PORTS[service],
            workers=workers,
            log_config=None,
            access_log=False,
            proxy_headers=False,
            # Requests still running this long after SIGTERM are cut short: every service
            # exits within 15 s of it (its lifespan's own steps are bounded too).
            timeout_graceful_shutdown=5,
        )
    except ConfigError as exc:
        raise fail(str(exc)) from exc


def _share_metrics_between_workers() -> None:
    """Give the worker processes one directory for their metrics (see platform/http.py)."""
    import atexit
    import os
    import shutil
    import tempfile

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return  # the operator chose one (it must be emptied between runs)
    directory = tempfile.mkdtemp(prefix="eccs-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The account's email address.")],
    name: Annotated[str, typer.Option(help="The account holder's name.")],
    password: Annotated[
        str | None, typer.Option(help="Password (prompted for when omitted).")
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="Give the account the admin role.")
    ] = False,
) -> None:
    """Create a user account."""
    from eccs.identity.admin import create_user

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = database_settings()
    try:
        user = asyncio.run(create_user(settings, email, name, password, admin=admin))
    except ValueError as exc:
        raise fail(str(exc)) from exc
    report.print(f"[green]✓[/] created {user.role} {escape(user.email)} ({user.id})")


# --- dead-lettered emails ------------------------------------------------------------------------

T = TypeVar("T")
AGE = re.compile(r"(\d+)([smhdw])")
AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_LISTED = 1000
# "(sqlalchemy.dialects.postgresql.asyncpg.Error) <class '…'>: " before what went wrong.
DRIVER_PREFIX = re.compile(r"^\([\w.]+\) (<class '[\w.]+'>: )?")

ReasonOption = Annotated[
    str | None, typer.Option(help="Only this failure reason: refused, exhausted, expired, invalid.")
]
SinceOption = Annotated[
    str | None,
    typer.Option(help="Failed at or after: ISO 8601 (UTC unless it says) or an age: 30m, 1h, 2d."),
]
UntilOption = Annotated[
    str | None, typer.Option(help="Failed before: ISO 8601 (UTC unless it says) or an age.")
]


@dlq_app.command("list")
def dlq_list(
    reason: ReasonOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(help=f"Show at most this many (1-{MAX_LISTED}).")] = 50,
) -> None:
    """List dead-lettered emails, the latest failure first."""
    matching = _dead_letter_filter(reason, since, until)
    if not 1 <= limit <= MAX_LISTED:
        raise fail(f"--limit must be between 1 and {MAX_LISTED}")
    page = _with_dead_letters(lambda service: service.page(matching, 1, limit))
    report.print(_dead_letter_table(page["items"]))
    report.print(f"{len(page['items'])} shown of {page['total']} dead-lettered emails")


@dlq_app.command("replay")
def dlq_replay(
    limit: Annotated[int, typer.Option(help="Re-queue at most this many (1-1000).")],
    reason: ReasonOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    rate: Annotated[
        float | None, typer.Option(help="Spread their delivery at this many emails per second.")
    ] = None,
) -> None:
    """Re-queue dead-lettered emails, the oldest failure first, with a fresh attempt budget."""
    matching = _dead_letter_filter(reason, since, until)
    actor = f"cli:{_operator()}"
    result = _with_dead_letters(lambda service: service.replay(matching, limit, rate, actor=actor))
    report.print(
        f"re-queued {result['requeued']} of {result['matched']} matching dead-lettered emails"
    )
    for email_id in result["ids"]:
        report.print(str(email_id))


@email_app.command("abandon")
def email_abandon(
    email_id: Annotated[str, typer.Argument(help="The email's id.", show_default=False)],
) -> None:
    """Stop an email whatever its state (short of sent, failed or cancelled): nothing more is
    sent, and its timeline says who stopped it."""
    import uuid

    from eccs.mail.emails.service import EmailService
    from eccs.mail.settings import MailSettings

    try:
        target = uuid.UUID(email_id)
    except ValueError as exc:
        raise fail(f"{email_id!r} is not an email id (a UUID)") from exc
    actor = f"cli:{_operator()}"
    settings = load(MailSettings)
    email = _in_one_transaction(
        lambda session, audit: EmailService(session, settings, audit).abandon(target, actor=actor)
    )
    report.print(f"abandoned {email['id']}: now {email['status']}")


def _operator() -> str:
    """Who runs the command, for the log line a replay leaves."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container user without a name
        return "unknown"


def _dead_letter_filter(
    reason: str | None, since: str | None, until: str | None
) -> DeadLetterFilter:
    from eccs.mail.dlq.repository import DeadLetterFilter

    now = datetime.now(UTC)
    return DeadLetterFilter(reason, _moment("since", since, now), _moment("until", until, now))


def _moment(option: str, value: str | None, now: datetime) -> datetime | None:
    """A time given as ISO 8601 (naive means UTC) or as an age before now (`90m`, `2d`)."""
    if value is None:
        return None
    try:
        if age := AGE.fullmatch(value.strip()):
            return now - timedelta(**{AGE_UNITS[age[2]]: int(age[1])})
        moment = datetime.fromisoformat(value.strip())
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise fail(
            f"--{option}: {value!r} is neither an ISO 8601 time nor an age like 30m, 1h or 2d"
        ) from exc


def _with_dead_letters(work: Callable[[DeadLetterService], Awaitable[T]]) -> T:
    """Run work on the dead letters in one transaction, with one-line errors."""
    from eccs.mail.dlq.service import DeadLetterService

    return _in_one_transaction(lambda session, _: work(DeadLetterService(session)))


def _in_one_transaction(work: Callable[[AsyncSession, AuditStore], Awaitable[T]]) -> T:
    """Run work against DATABASE_URL (and the audit store) in one transaction, with one-line
    errors."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from eccs.audit import open_audit_store
    from eccs.audit.settings import AuditSettings
    from eccs.platform import db
    from eccs.platform.errors import AppError

    settings = database_settings()

    async def run() -> T:
        engine = db.create_engine(settings, application_name="eccs-cli")
        audit = open_audit_store(load(AuditSettings), engine, app_name="eccs-cli")
        try:
            async with db.session_factory(engine)() as session:
                result = await work(session, audit)
                await session.commit()
                return result
        finally:
            await audit.close()
            await engine.dispose()

    try:
        return asyncio.run(run())
    except AppError as exc:
        raise fail(_as_option_problem(exc)) from exc
    except (OSError, SQLAlchemyError) as exc:
        where = make_url(settings.libpq_url()).render_as_string(hide_password=True)
        raise fail(f"could not use the database at {where}: {_database_problem(exc)}") from exc


def _database_problem(exc: Exception) -> str:
    """The server's or the network's own words, without the driver's class names."""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return DRIVER_PREFIX.sub("", first_line)


def _as_option_problem(exc: AppError) -> str:
    """A service's validation error in the command's terms (`rate_per_second` is `--rate`)."""
    if not exc.fields or exc.status_code != 422:  # only invalid input is about an option
        return exc.message
    field = exc.fields[0]
    option = {"rate_per_second": "rate"}.get(field.field, field.field)
    return f"--{option.replace('_', '-')} {field.message}"


ID_WIDTH = 36  # a UUID, never cut: it is what the API and the web app look emails up by
FAILED_WIDTH = 10  # 2026-12-07


def _dead_letter_table(items: list[dict[str, Any]]) -> Table:
    """One row per email, each cell a few short lines, so that 80 columns are enough: lines
    too long for the terminal end in an ellipsis; wider terminals show more of each."""
    from rich import box
    from rich.table import Table

    # Every width is set: Rich would otherwise squeeze a column of uncut lines out of sight.
    rest = report.width - FAILED_WIDTH - 8  # 8: each column's padding, the two rules
    email_width = max(ID_WIDTH, rest // 2)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, leading=1)
    table.add_column("email · subject · sender", width=email_width, no_wrap=True)
    table.add_column("failed", width=FAILED_WIDTH, no_wrap=True)
    table.add_column("recipients: last reply", width=max(rest - email_width, 12), no_wrap=True)
    for item in items:
        table.add_row(_email_cell(item), _failure_cell(item), _recipients_cell(item))
    return table


def _lines(*lines: tuple[str, str]) -> Text:
    """Lines of (text, style), each cut with an ellipsis. Text, not markup: what users wrote
    may contain [brackets]."""
    from rich.text import Text

    cell = Text(no_wrap=True, overflow="ellipsis")
    for number, (text, style) in enumerate(lines):
        cell.append(("\n" if number else "") + text, style)
    return cell


def _email_cell(item: dict[str, Any]) -> Text:
    return _lines(
        (str(item["id"]), ""), (item["subject"], "bold"), (f"from {item['sender_email']}", "dim")
    )


def _failure_cell(item: dict[str, Any]) -> Text:
    failed_at = item["failed_at"]
    when = failed_at.astimezone(UTC) if failed_at else None
    day, time = (f"{when:%Y-%m-%d}", f"{when:%H:%M:%S}Z") if when else ("", "")
    return _lines((item["reason"] or "", ""), (day, "dim"), (time, "dim"))


def _recipients_cell(item: dict[str, Any]) -> Text:
    lines: list[tuple[str, str]] = []
    for recipient in item["recipients"]:
        lines += [(recipient["address"], ""), (f"  {_last_reply(recipient)}", "dim")]
    return _lines(*lines)


def _last_reply(recipient: dict[str, Any]) -> str:
    answer = " ".join(
        str(part) for part in (recipient["smtp_code"], recipient["smtp_reply"]) if part is not None
    )
    return str(recipient["status"]) + (f": {answer}" if answer else "")


# --- backups ---------------------------------------------------------------------------------

KeyFileOption = Annotated[
    Path,
    typer.Option(envvar="ECCS_BACKUP_KEY_FILE", help="The age key file backups are sealed with."),
]


@app.command()
def backup(
    to: Annotated[Path, typer.Option(envvar="ECCS_BACKUP_DIR", help="Where backups are kept.")],
    key_file: KeyFileOption,
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Create the key file first (never overwrites).")
    ] = False,
    keep_daily: Annotated[int, typer.Option(help="Keep the newest of this many days.")] = 7,
    keep_weekly: Annotated[int, typer.Option(help="Keep the newest of this many weeks.")] = 4,
) -> None:
    """Back up the database and the audit trail into one encrypted file, then prune old ones."""
    from eccs.backup import keys, service
    from eccs.backup.retention import Retention

    with _backup_errors():
        retention = Retention(keep_daily, keep_weekly)
        identity = keys.create_key_file(key_file) if new_key else keys.load_identity(key_file)
        taken = service.back_up(_backup_sources(), to, identity, retention, console.print)
    console.print(f"[green]✓[/] backed up to {taken.path}")
    for path in taken.pruned:
        console.print(f"  removed {path.name} (keeping {keep_daily} daily, {keep_weekly} weekly)")
    sys.stdout.write(f"{taken.path}\n")  # whole, for scripts: never wrapped


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="The backup file (eccs-backup-….tar).")],
    key_file: KeyFileOption,
    check: Annotated[bool, typer.Option("--check", help="Only check it; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Replace the data without asking.")] = False,
) -> None:
    """Restore a backup over the database (and MongoDB's audit trail), once it checks out whole."""
    from eccs.backup import keys, postgres, service

    with _backup_errors():
        identity = keys.load_identity(key_file)
        if check:
            manifest = service.verify(archive, identity)
            console.print(f"[green]✓[/] {archive.name} is intact (made {manifest.created_at})")
            return
        sources = _backup_sources()
        where = postgres.display_url(sources.database_url)
        if not yes and not typer.confirm(f"Replace the data at {where} with {archive.name}?"):
            raise typer.Exit(1)
        manifest = service.restore(sources, archive, identity, console.print)
    console.print(
        f"[green]✓[/] restored {archive.name} (made {manifest.created_at}, schema"
        f" {manifest.schema_revision}); run `eccs migrate` if this version of ECCS is newer"
    )


def _backup_sources() -> Sources:
    from eccs.audit.settings import AuditSettings
    from eccs.backup.service import Sources

    return Sources.from_settings(database_settings(), load(AuditSettings))


@contextlib.contextmanager
def _backup_errors() -> Iterator[None]:
    from eccs.backup.errors import BackupError

    try:
        yield
    except BackupError as exc:
        raise fail(escape(str(exc))) from exc


@app.command()
def openapi() -> None:
    """Print the API document of embedded mode (what GET /openapi.json serves) as JSON."""
    import json

    from eccs.embedded.spec import embedded_openapi

    sys.stdout.write(json.dumps(embedded_openapi(), indent=2, sort_keys=True) + "\n")


@app.command()
def up(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="Port of the one HTTP front (default: ECCS_HTTP_PORT, 8080).")
    ] = None,
) -> None:
    """Run everything on this machine (embedded mode) until Ctrl-C.

    PostgreSQL, a Kafka-protocol broker, a mail catcher and the three services start with their
    data in ECCS_DATA_DIR (./.eccs); DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, SMTP_HOST and
    MONGODB_URL swap in real ones.
    """
    from eccs.embedded.errors import EmbeddedError, PartCrashed
    from eccs.services import embedded

    try:
        embedded.run(host, port, console)
    except PartCrashed as exc:
        error = fail(escape(str(exc)))
        for line in exc.log_tail:
            console.print(f"  [dim]{escape(line)}")
        raise error from exc
    except EmbeddedError as exc:
        raise fail(escape(str(exc))) from exc
    except KeyboardInterrupt:  # before the signal handlers were in place
        raise typer.Exit(130) from None


def main() -> None:  # pragma: no cover
    try:
        with held_until_exit:
            app()
    except ConfigError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
