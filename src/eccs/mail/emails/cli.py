"""`eccs email`: an operator acting on one email from the command line."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from eccs.audit import open_audit_store
from eccs.audit.settings import AuditSettings
from eccs.mail.emails.schemas import EmailOut
from eccs.mail.emails.service import EmailService
from eccs.platform.commands import fail, operator, report, with_database
from eccs.platform.db import Database
from eccs.platform.settings import load

email_app = typer.Typer(help="Act on one email as an operator.", no_args_is_help=True)


@email_app.command("abandon")
def email_abandon(
    context: typer.Context,
    email_id: Annotated[str, typer.Argument(help="The email's id.", show_default=False)],
) -> None:
    """Stop an email whatever its state (short of sent, failed or cancelled): nothing more is
    sent, and its timeline says who stopped it."""
    try:
        target = uuid.UUID(email_id)
    except ValueError as exc:
        raise fail(f"{email_id!r} is not an email id (a UUID)") from exc
    actor = f"cli:{operator()}"

    async def abandon(database: Database) -> EmailOut:
        audit = open_audit_store(load(AuditSettings), database, app_name="eccs-cli")
        try:
            async with database.transaction() as connection:
                return await EmailService(connection, audit).abandon(target, actor=actor)
        finally:
            await audit.close()

    email = with_database(context, abandon)
    report.print(f"abandoned {email.id}: now {email.status}")
