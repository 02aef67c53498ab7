"""`eccs dlq`: inspect and re-drive dead-lettered emails from the command line, through the same
service as the operators' API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from eccs.mail.dlq.repository import DeadLetterFilter
from eccs.mail.dlq.schemas import DeadLetter, DeadLetterRecipient
from eccs.mail.dlq.service import DeadLetterService
from eccs.platform.commands import cell, fail, operator, report, with_database
from eccs.platform.db import Database

dlq_app = typer.Typer(help="Inspect and re-drive dead-lettered emails.", no_args_is_help=True)

AGE = re.compile(r"(\d+)([smhdw])")
AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_LISTED = 1000
OPTIONS = {"rate_per_second": "rate"}  # the service's names, as the command's options

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
    context: typer.Context,
    reason: ReasonOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(help=f"Show at most this many (1-{MAX_LISTED}).")] = 50,
) -> None:
    """List dead-lettered emails, the latest failure first."""
    matching = _dead_letter_filter(reason, since, until)
    if not 1 <= limit <= MAX_LISTED:
        raise fail(f"--limit must be between 1 and {MAX_LISTED}")

    async def page(database: Database) -> Any:
        async with database.connection() as connection:
            return await DeadLetterService(connection).page(matching, 1, limit)

    found = with_database(context, page, OPTIONS)
    report.print(_dead_letter_table(found.items))
    report.print(f"{len(found.items)} shown of {found.total} dead-lettered emails")


@dlq_app.command("replay")
def dlq_replay(
    context: typer.Context,
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
    actor = f"cli:{operator()}"

    async def replay(database: Database) -> Any:
        async with database.transaction() as connection:
            return await DeadLetterService(connection).replay(matching, limit, rate, actor=actor)

    result = with_database(context, replay, OPTIONS)
    report.print(f"re-queued {result.requeued} of {result.matched} matching dead-lettered emails")
    for email_id in result.ids:
        report.print(str(email_id))


def _dead_letter_filter(
    reason: str | None, since: str | None, until: str | None
) -> DeadLetterFilter:
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


# --- the table ---------------------------------------------------------------------------------

ID_WIDTH = 36  # a UUID, never cut: it is what the API and the web app look emails up by
FAILED_WIDTH = 10  # 2026-12-07


def _dead_letter_table(items: list[DeadLetter]) -> Table:
    """One row per email, each cell a few short lines, so that 80 columns are enough: lines
    too long for the terminal end in an ellipsis; wider terminals show more of each."""
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


def _email_cell(item: DeadLetter) -> Text:
    return cell((str(item.id), ""), (item.subject, "bold"), (f"from {item.sender_email}", "dim"))


def _failure_cell(item: DeadLetter) -> Text:
    when = item.failed_at.astimezone(UTC) if item.failed_at else None
    day, time = (f"{when:%Y-%m-%d}", f"{when:%H:%M:%S}Z") if when else ("", "")
    return cell((item.reason or "", ""), (day, "dim"), (time, "dim"))


def _recipients_cell(item: DeadLetter) -> Text:
    lines: list[tuple[str, str]] = []
    for recipient in item.recipients:
        lines += [(recipient.address, ""), (f"  {_last_reply(recipient)}", "dim")]
    return cell(*lines)


def _last_reply(recipient: DeadLetterRecipient) -> str:
    answer = " ".join(
        str(part) for part in (recipient.smtp_code, recipient.smtp_reply) if part is not None
    )
    return str(recipient.status) + (f": {answer}" if answer else "")
