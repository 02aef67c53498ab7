"""`eccs user`: accounts made from the command line (the first administrator, say)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape

from eccs.identity.admin import create_user
from eccs.platform.commands import database_settings, fail, report

user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)


@user_app.command("create")
def user_create(
    context: typer.Context,
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
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = database_settings(context)
    try:
        user = asyncio.run(create_user(settings, email, name, password, admin=admin))
    except ValueError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"could not reach the database: {exc}") from exc
    report.print(f"[green]✓[/] created {user.role} {escape(user.email)} ({user.id})")
