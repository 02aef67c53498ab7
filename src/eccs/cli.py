"""The `eccs` command."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, Literal

import typer
from rich.console import Console

from eccs.platform.settings import ConfigError, DatabaseSettings, load

app = typer.Typer(
    help="ECCS: a self-hosted transactional email platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console(stderr=True)

DEFAULT_PORTS = {"auth": 8001, "email": 8002, "notification": 8003}


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def database_settings() -> DatabaseSettings:
    settings = load(DatabaseSettings)
    if settings.database_url is None and not _postgres_variables_set():
        raise fail(
            "No database configured. Set DATABASE_URL (postgresql://user:pass@host:5432/db) "
            "or the POSTGRES_HOST/_PORT/_USER/_PASSWORD/_DB variables."
        )
    return settings


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
    console.print(f"[green]✓[/] database is at revision {migrations.head_revision()}")


@app.command()
def serve(
    service: Annotated[
        Literal["auth", "email", "notification"], typer.Argument(help="Which service to run.")
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int | None, typer.Option(help="Port (default: 8001 auth, 8002 email).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run one service (distributed mode)."""
    import uvicorn

    from eccs.platform.logging import configure_logging
    from eccs.platform.settings import LogSettings

    configure_logging(load(LogSettings))
    factory = f"eccs.services.{service}:build"
    try:
        __import__(f"eccs.services.{service}")
    except ModuleNotFoundError as exc:
        raise fail(f"the {service} service is not available in this version") from exc
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
        )
    except ConfigError as exc:
        raise fail(str(exc)) from exc


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
    console.print(f"[green]✓[/] created {user.role} {user.email} ({user.id})")


@app.command()
def up() -> None:
    """Run everything on this machine (embedded mode)."""
    raise fail("embedded mode is not there yet; run `eccs serve auth|email` with DATABASE_URL.", 2)


def main() -> None:  # pragma: no cover
    try:
        app()
    except ConfigError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
