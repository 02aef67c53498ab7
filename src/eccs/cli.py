"""The `eccs` command: the root, which picks the database every subcommand uses, and the commands
that run ECCS (`up`, `serve`, `migrate`, `openapi`). Each domain's commands live beside it."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from typing import Annotated, Literal

import typer
from rich.markup import escape

from eccs.backup.cli import backup_app, restore
from eccs.identity.cli import user_app
from eccs.mail.dlq.cli import dlq_app
from eccs.mail.emails.cli import email_app
from eccs.mail.suppressions.cli import suppression_app
from eccs.platform.commands import CommandEnvironment, console, fail, report
from eccs.platform.db import Connection
from eccs.platform.settings import ConfigError, DatabaseSettings, load

app = typer.Typer(
    help="ECCS: a self-hosted transactional email platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(user_app, name="user")
app.add_typer(dlq_app, name="dlq")
app.add_typer(email_app, name="email")
app.add_typer(suppression_app, name="suppression")
app.add_typer(backup_app, name="backup")
app.command()(restore)


@app.callback()
def _every_command(context: typer.Context) -> None:
    """Readable log lines on stderr for every command (`serve` and `up` set up their own), and
    the database the subcommands use."""
    from eccs.platform.logging import configure_logging
    from eccs.platform.settings import LogSettings

    configure_logging(load(LogSettings, {"LOG_FORMAT": "console", **os.environ}))
    context.obj = CommandEnvironment(database_settings=database_settings, find_account=find_account)


async def find_account(connection: Connection, email: str) -> tuple[uuid.UUID, str] | None:
    from eccs.identity.repository import UserRepository

    user = await UserRepository(connection).by_email(email)
    return (user.id, user.email) if user else None


DEFAULT_PORTS = {
    "auth": 8001,
    "email": 8002,
    "notification": 8003,
    "alert-relay": 8004,
    "devmail": 8025,
}
# One process: the mail catcher keeps its inbox in it; the alert relay has little to do.
SINGLE_PROCESS = {"devmail", "alert-relay"}


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
    from eccs.embedded.database import embedded_database
    from eccs.embedded.errors import EmbeddedError

    try:
        return held_until_exit.enter_context(embedded_database(os.environ, console))
    except EmbeddedError as exc:
        raise fail(escape(str(exc))) from exc


def _postgres_variables_set() -> bool:
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
        Literal["auth", "email", "notification", "alert-relay", "devmail"],
        typer.Argument(
            help="Which service to run (alert-relay: Alertmanager's mail through ECCS;"
            " devmail: the mail catcher, for trials)."
        ),
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[
        int | None,
        typer.Option(
            help="Port (default 8001 auth, 8002 email, 8003 notification, 8004 alert-relay,"
            " 8025 devmail)."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per CPU core).", min=1)
    ] = None,
) -> None:
    """Run one service (distributed mode)."""
    # One per core, but one where one is enough (SINGLE_PROCESS).
    workers = workers or (1 if service in SINGLE_PROCESS else os.cpu_count() or 1)
    import uvicorn

    from eccs.platform.logging import configure_logging
    from eccs.platform.settings import LogSettings

    configure_logging(load(LogSettings))
    if service == "devmail" and workers > 1:
        raise fail("the mail catcher keeps its inbox in one process: run it with --workers 1")
    # uvicorn builds the application in each of its worker processes, from this factory.
    factory = f"eccs.services.{service.replace('-', '_')}:app_from_environment"
    if workers > 1:
        _share_metrics_between_workers()
    try:
        if workers > 1:
            _check_configuration(service)
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


def _check_configuration(service: str) -> None:
    """uvicorn builds the application in each worker process, where a configuration error would
    be a traceback in every one of them (and a restart loop in a container): checked here first,
    it is one line."""
    import importlib

    importlib.import_module(f"eccs.services.{service.replace('-', '_')}").configuration()


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


@app.command()
def openapi() -> None:
    """Print the API document of embedded mode (what GET /openapi.json serves) as JSON."""
    import json

    from eccs.services.openapi import embedded_openapi

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
