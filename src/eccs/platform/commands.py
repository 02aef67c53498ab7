"""What every `eccs` command shares: where its output and its errors go, how it reaches the
database, and one-line errors.

What a command reports (tables, ids, its result) goes to stdout; progress, errors and log lines go
to stderr, so that `ID=$(eccs user create ...)` or a pipe gets the result alone. Which database a
command uses is the root command's decision (DATABASE_URL, else the embedded one), passed down
in the command's context.
"""

from __future__ import annotations

import asyncio
import getpass
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from eccs.platform.db import Connection, Database
from eccs.platform.errors import AppError
from eccs.platform.settings import DatabaseSettings

T = TypeVar("T")

console = Console(stderr=True)
report = Console(soft_wrap=True)  # a line of output stays one line, however narrow


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say what went wrong in one line on stderr; raise what this returns."""
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def cell(*lines: tuple[str, str]) -> Text:
    """A table cell of lines of (text, style), each cut with an ellipsis where its column ends.
    Text, not markup: what users wrote may contain [brackets]."""
    made = Text(no_wrap=True, overflow="ellipsis")
    for number, (text, style) in enumerate(lines):
        made.append(("\n" if number else "") + text, style)
    return made


# An account by its address: its id and the address as stored (None: no such account).
AccountLookup = Callable[[Connection, str], Awaitable[tuple[uuid.UUID, str] | None]]


@dataclass(frozen=True)
class CommandEnvironment:
    """Set by the root command for every subcommand (in `typer.Context.obj`)."""

    database_settings: Callable[[], DatabaseSettings]
    # How a domain's command finds an account by its address (accounts are another domain's).
    find_account: AccountLookup


def database_settings(context: typer.Context) -> DatabaseSettings:
    environment = context.find_object(CommandEnvironment)
    assert environment is not None, "the root command sets the environment"
    return environment.database_settings()


async def account(
    context: typer.Context, connection: Connection, email: str
) -> tuple[uuid.UUID, str]:
    """The account with this address (its id and address), or a one-line error."""
    environment = context.find_object(CommandEnvironment)
    assert environment is not None, "the root command sets the environment"
    found = await environment.find_account(connection, email)
    if found is None:
        raise fail(f"no account has the address {escape(email)} (`eccs user create` makes one)")
    return found


def with_database(
    context: typer.Context,
    work: Callable[[Database], Awaitable[T]],
    options: Mapping[str, str] | None = None,
) -> T:
    """Run `work` with the command's database, turning its failures into one-line errors: an
    invalid value in the command's own terms (`options` renames fields to option names)."""
    settings = database_settings(context)

    async def run() -> T:
        database = Database(settings, application_name="eccs-cli")
        await database.open()
        try:
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    except AppError as exc:
        raise fail(escape(_as_option_problem(exc, options or {}))) from exc
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        where = without_password(settings.libpq_url())
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise fail(escape(f"could not use the database at {where}: {first_line}")) from exc


def _as_option_problem(exc: AppError, options: Mapping[str, str]) -> str:
    if not exc.fields or exc.status_code != 422:  # only invalid input is about an option
        return exc.message
    field = exc.fields[0]
    option = options.get(field.field, field.field)
    return f"--{option.replace('_', '-')} {field.message}"


def without_password(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url  # here: the services never load SQLAlchemy

    return make_url(url).render_as_string(hide_password=True)


def operator() -> str:
    """Who runs the command, for the records a command leaves (a replay, an abandoned email)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container user without a name
        return "unknown"
