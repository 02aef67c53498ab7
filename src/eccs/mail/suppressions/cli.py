"""`eccs suppression`: senders' suppression lists from the command line, through the same service
as the API: list, search, add and remove."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from eccs.contracts.lifecycle import SuppressionReason
from eccs.mail.suppressions.schemas import ListedSuppression, SuppressionIn
from eccs.mail.suppressions.service import SuppressionService
from eccs.platform.commands import account, cell, fail, report, with_database
from eccs.platform.db import Database

suppression_app = typer.Typer(
    help="Senders' suppression lists: addresses their emails are not sent to.",
    no_args_is_help=True,
)

MAX_LISTED = 1000
UserOption = Annotated[
    str | None, typer.Option("--user", help="Only this sender's (their account's address).")
]
ReasonOption = Annotated[
    SuppressionReason | None,
    typer.Option(help="Only this reason: refused, complaint, unsubscribed, manual."),
]
LimitOption = Annotated[int, typer.Option(help=f"Show at most this many (1-{MAX_LISTED}).")]
SenderOption = Annotated[str, typer.Option("--user", help="The sender (their account's address).")]


@suppression_app.command("list")
def suppression_list(
    context: typer.Context,
    user: UserOption = None,
    reason: ReasonOption = None,
    limit: LimitOption = 50,
) -> None:
    """List suppressed addresses, newest first: every sender's, or one's."""
    _show(context, None, user, reason, limit)


@suppression_app.command("search")
def suppression_search(
    context: typer.Context,
    text: Annotated[str, typer.Argument(help="Text in the address (any letter case).")],
    user: UserOption = None,
    reason: ReasonOption = None,
    limit: LimitOption = 50,
) -> None:
    """Find suppressed addresses containing TEXT."""
    _show(context, text, user, reason, limit)


@suppression_app.command("add")
def suppression_add(
    context: typer.Context,
    address: Annotated[str, typer.Argument(help="The address to stop sending to.")],
    user: SenderOption,
    note: Annotated[str | None, typer.Option(help="Why, for whoever looks later.")] = None,
) -> None:
    """Put ADDRESS on a sender's suppression list: their emails are not sent to it."""
    try:
        body = SuppressionIn(address=address, detail=note)
    except ValueError as exc:
        raise fail(f"{escape(address)} is not an address that can be listed: {exc}") from exc

    async def add(database: Database) -> Any:
        async with database.connection() as connection:
            user_id, sender = await account(context, connection, user)
            return await SuppressionService(connection).add(user_id, sender, body)

    added = with_database(context, add)
    report.print(f"[green]✓[/] {escape(added.address)} is on {escape(user)}'s suppression list")


@suppression_app.command("remove")
def suppression_remove(
    context: typer.Context,
    address: Annotated[str, typer.Argument(help="The address to send to again.")],
    user: SenderOption,
) -> None:
    """Take ADDRESS off a sender's suppression list: their emails are sent to it again."""

    async def remove(database: Database) -> None:
        async with database.connection() as connection:
            user_id, _ = await account(context, connection, user)
            await SuppressionService(connection).remove(user_id, address)

    with_database(context, remove)
    report.print(f"[green]✓[/] {escape(address)} is off {escape(user)}'s suppression list")


def _show(
    context: typer.Context,
    text: str | None,
    user: str | None,
    reason: SuppressionReason | None,
    limit: int,
) -> None:
    if not 1 <= limit <= MAX_LISTED:
        raise fail(f"--limit must be between 1 and {MAX_LISTED}")

    async def page(database: Database) -> Any:
        async with database.connection() as connection:
            user_id: uuid.UUID | None = None
            if user is not None:
                user_id, _ = await account(context, connection, user)
            return await SuppressionService(connection).everyone(user_id, text, reason, 1, limit)

    found = with_database(context, page)
    report.print(_table(found.items))
    report.print(f"{len(found.items)} shown of {found.total} suppressed addresses")


SINCE_WIDTH = 17  # 2026-12-07 13:04Z


def _table(items: list[ListedSuppression]) -> Table:
    """One row per address, each cell a line or two, so that 80 columns are enough (lines too
    long end in an ellipsis); as in `eccs dlq list`, every width is set, or Rich would squeeze
    whole columns out of sight."""
    rest = report.width - SINCE_WIDTH - 8  # 8: each column's padding, the two rules
    address_width = max(24, rest // 2)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, leading=1)
    table.add_column("address · sender", width=address_width, no_wrap=True)
    table.add_column("reason · since", width=SINCE_WIDTH, no_wrap=True)
    table.add_column("why", width=max(rest - address_width, 12), no_wrap=True)
    for item in items:
        why = " ".join(str(p) for p in (item.smtp_code, item.detail) if p is not None)
        since = f"{item.created_at.astimezone(UTC):%Y-%m-%d %H:%M}Z"
        table.add_row(
            cell((item.address, ""), (f"list of {item.sender_email}", "dim")),
            cell((item.reason, ""), (since, "dim")),
            cell((why, "dim")),
        )
    return table
