"""All SQL about emails, their recipients and attachments (the tables: contracts/tables.py).

The send is one statement, for one email or a batch of them: the sender's check, the quota
check, the emails, their recipients and attachments, the user's send count and the outbox rows,
written together in one round trip; as many emails as the quota allows, in the order given. The
sender's check reads auth-service's tables (docs/architecture.md): the account must still exist
with its address verified, and the API key, if one sent it, must still exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import orjson

from eccs.contracts import outbox
from eccs.contracts.keys import COUNTER_SHARDS
from eccs.contracts.lifecycle import (
    FINISHED_DELIVERIES,
    EmailStatus,
    RecipientStatus,
)
from eccs.platform.db import Connection, like_containing

T = TypeVar("T")


@dataclass(frozen=True)
class NewEmail:
    """An email as the send path writes it, with everything written beside it."""

    id: uuid.UUID
    subject: str
    text_body: str | None
    html_body: str | None
    template_id: uuid.UUID | None
    status: EmailStatus
    scheduled_at: datetime | None
    expires_at: datetime | None
    # (kind, address) in the order given
    recipients: list[tuple[str, str]]
    # (filename, content type, bytes)
    attachments: list[tuple[str, str, bytes]]
    request: outbox.OutboxRow
    # [name, value] pairs the sender added, a Reply-To, the unsubscribe link's token
    headers: list[tuple[str, str]] | None = None
    reply_to: str | None = None
    unsubscribe_token: str | None = None


@dataclass(frozen=True)
class Sender:
    """Who sends, and when: the same for every email of one request."""

    user_id: uuid.UUID
    name: str
    email: str
    at: datetime
    batch_id: uuid.UUID | None = None
    # The API key the emails are sent with, if any, and the key's name now.
    api_key_id: uuid.UUID | None = None
    api_key_name: str | None = None


@dataclass(frozen=True)
class HourlyQuota:
    """The send quota over a sliding hour, approximated by two clock hours: the current one
    counts in full, the previous one by the share of it still inside the last 60 minutes."""

    limit: int
    hour: datetime  # the current clock hour's start
    previous_weight: float


@dataclass(frozen=True)
class SendCounts:
    """How many of the emails were written (the first ones, in the order given), and the
    quota's counts that decided it."""

    accepted: int
    this_hour: int
    last_hour: int
    # Whether the sender's address is verified; None: the account or its key is gone.
    verified: bool | None
    # When they were written: their `created_at`.
    at: datetime


# Each email's own values, by parameter: `new` below reads them as one row per email.
_EMAIL_VALUES = (
    ("$1", "uuid", "id"),
    ("$5", "text", "subject"),
    ("$6", "text", "text_body"),
    ("$7", "text", "html_body"),
    ("$8", "uuid", "template_id"),
    ("$9", "text", "status"),
    ("$10", "timestamptz", "scheduled_at"),
    ("$11", "timestamptz", "expires_at"),
    ("$13", "text", "headers"),
    ("$14", "text", "reply_to"),
    ("$15", "text", "unsubscribe_token"),
    ("$17", "text", "to_addresses"),
    ("$18", "smallint", "recipient_count"),
)
_NAMES = ", ".join(name for _, _, name in _EMAIL_VALUES)
# A batch sends them as arrays, numbered by WITH ORDINALITY; one email (nearly every send) as
# plain values, which asyncpg encodes in a fraction of the time a one-element array takes.
_MANY = (
    "unnest(" + ", ".join(f"{p}::{t}[]" for p, t, _ in _EMAIL_VALUES) + ")"
    f" WITH ORDINALITY AS e({_NAMES}, n)",
    "cardinality($1::uuid[])",
)
_ONE = (
    "(VALUES (" + ", ".join(f"{p}::{t}" for p, t, _ in _EMAIL_VALUES) + ", 1::bigint))"
    f" AS e({_NAMES}, n)",
    "1",
)


def _send_sql(emails: tuple[str, str]) -> str:
    """The send statement, reading the emails from `emails` (the `new` member's source, and
    how many there are)."""
    source, count = emails
    return f"""
WITH sender AS (
    SELECT u.email_verified_at IS NOT NULL AS verified FROM users u
    WHERE u.id = $2 AND ($38::uuid IS NULL OR EXISTS (
        SELECT FROM api_keys k WHERE k.id = $38 AND k.user_id = $2
          AND (k.expires_at IS NULL OR k.expires_at > $12)))
), counted AS (
    SELECT coalesce(sum(count) FILTER (WHERE hour = $28), 0) AS this_hour,
           coalesce(sum(count) FILTER (WHERE hour = $28 - interval '1 hour'), 0) AS last_hour
    FROM send_counts WHERE user_id = $2 AND hour >= $28 - interval '1 hour'
), room AS (
    SELECT CASE WHEN sender.verified THEN least({count},
                greatest(0, ceil($30 - this_hour - last_hour * $29)))::int ELSE 0 END AS fits
    FROM counted LEFT JOIN sender ON true
), quota AS (
    INSERT INTO send_counts (user_id, hour, shard, count)
    SELECT $2, $28, pg_backend_pid() % {COUNTER_SHARDS}, fits FROM room WHERE fits > 0
    ON CONFLICT (user_id, hour, shard) DO UPDATE SET count = send_counts.count + excluded.count
), new AS (
    SELECT e.* FROM room, {source} WHERE e.n <= room.fits
), email AS (
    INSERT INTO emails (id, user_id, sender_name, sender_email, subject, text_body, html_body,
                        template_id, status, scheduled_at, expires_at, created_at, updated_at,
                        to_addresses, recipient_count, headers, reply_to, unsubscribe_token,
                        batch_id, api_key_id, api_key_name)
    SELECT id, $2, $3, $4, subject, text_body, html_body, template_id, status, scheduled_at,
           expires_at, $12, $12, ARRAY(SELECT jsonb_array_elements_text(to_addresses::jsonb)),
           recipient_count, headers::jsonb, reply_to, unsubscribe_token, $16, $38, $39
    FROM new
), recipients AS (
    INSERT INTO email_recipients (email_id, position, kind, address)
    SELECT new.id, r.position, r.kind, r.address
    FROM unnest($19::int[], $20::smallint[], $21::text[], $22::text[]) AS r(n, position, kind,
                                                                          address)
    JOIN new ON new.n = r.n
), attachments AS (
    INSERT INTO email_attachments (email_id, position, filename, content_type, size, content)
    SELECT new.id, a.position, a.filename, a.content_type, a.size, a.content
    FROM unnest($23::int[], $24::smallint[], $25::text[], $26::text[], $27::int[], $31::bytea[])
        AS a(n, position, filename, content_type, size, content)
    JOIN new ON new.n = a.n
), request AS (
    {outbox.insert_sql(32, only_if="new_row.email_id IN (SELECT id FROM new)")}
)
SELECT fits AS accepted, this_hour, last_hour, (SELECT verified FROM sender) AS verified
FROM counted, room
"""


_SEND_MANY = _send_sql(_MANY)
_SEND_ONE = _send_sql(_ONE)


def _api_time(column: str) -> str:
    """A timestamptz column written as the API writes times (pydantic, orjson): ISO 8601 in UTC
    with `Z`, with microseconds unless they are zero."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN date_part('microseconds', {column})::int % 1000000 = 0"
        f""" THEN to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
        f""" ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
    )


# What GET /api/emails shows of each email, as JSON in `EmailSummary`'s order, with the columns
# the page is ordered by: no other table is read.
_SUMMARY = (
    "SELECT e.created_at, e.id, (SELECT row_to_json(s) FROM (SELECT e.id, e.subject, e.status,"
    ' e.to_addresses AS "to", e.recipient_count AS recipients, e.attempts,'
    f" {_api_time('e.created_at')} AS created_at, {_api_time('e.scheduled_at')} AS scheduled_at,"
    f" {_api_time('e.sent_at')} AS sent_at, e.batch_id) s) AS summary FROM emails e"
)
_MATCHING_TEXT = (
    "(e.subject ILIKE {p} OR EXISTS (SELECT FROM email_recipients r"
    " WHERE r.email_id = e.id AND r.address ILIKE {p}))"
)
_EMAIL = "SELECT * FROM emails"


class EmailRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def send(
        self, sender: Sender, emails: Sequence[NewEmail], quota: HourlyQuota
    ) -> SendCounts:
        """Write as many of the emails as the quota allows, in the order given, each with all
        that goes with it, in one statement; the counts say how many and why not more."""
        one = len(emails) == 1
        # Each email's own values: a list of them, or for one email the value itself.
        values: Callable[[list[Any]], Any] = (lambda column: column[0]) if one else list
        row = await self.connection.fetchrow(
            _SEND_ONE if one else _SEND_MANY,
            values([email.id for email in emails]),
            sender.user_id,
            sender.name,
            sender.email,
            values([email.subject for email in emails]),
            values([email.text_body for email in emails]),
            values([email.html_body for email in emails]),
            values([email.template_id for email in emails]),
            values([email.status for email in emails]),
            values([email.scheduled_at for email in emails]),
            values([email.expires_at for email in emails]),
            sender.at,
            # Lists of lists go as JSON text: asyncpg would take them for a 2-D array.
            values([_json(email.headers) if email.headers else None for email in emails]),
            values([email.reply_to for email in emails]),
            values([email.unsubscribe_token for email in emails]),
            sender.batch_id,
            values([_json([a for kind, a in e.recipients if kind == "to"]) for e in emails]),
            values([len(email.recipients) for email in emails]),
            *_numbered(
                [email.recipients for email in emails],
                lambda position, recipient: (position, *recipient),
                width=3,
            ),
            *_numbered(
                [email.attachments for email in emails],
                lambda position, attachment: (
                    position,
                    attachment[0],
                    attachment[1],
                    len(attachment[2]),
                ),
                width=4,
            ),
            quota.hour,
            quota.previous_weight,
            quota.limit,
            [content for email in emails for _, _, content in email.attachments],
            *outbox.columns([email.request for email in emails]),
            sender.api_key_id,
            sender.api_key_name,
        )
        assert row is not None
        accepted, this_hour, last_hour = (
            int(row["accepted"]),
            int(row["this_hour"]),
            int(row["last_hour"]),
        )
        return SendCounts(accepted, this_hour, last_hour, row["verified"], sender.at)

    async def get(self, email_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Any:
        """One email (a user's own, unless `user_id` is None: operators see any)."""
        if user_id is None:
            return await self.connection.fetchrow(f"{_EMAIL} WHERE id = $1", email_id)
        return await self.connection.fetchrow(
            f"{_EMAIL} WHERE id = $1 AND user_id = $2", email_id, user_id
        )

    async def recipients(self, email_id: uuid.UUID) -> list[Any]:
        return await self.connection.fetch(
            "SELECT address, kind, status, attempts, smtp_code, smtp_reply, updated_at"
            " FROM email_recipients WHERE email_id = $1 ORDER BY position",
            email_id,
        )

    async def attachments(self, email_id: uuid.UUID) -> list[Any]:
        return await self.connection.fetch(
            "SELECT filename, content_type, size FROM email_attachments"
            " WHERE email_id = $1 ORDER BY position",
            email_id,
        )

    async def change_status(
        self,
        user_id: uuid.UUID,
        email_id: uuid.UUID,
        allowed: frozenset[EmailStatus],
        new: EmailStatus,
        now: datetime,
    ) -> bool:
        """Move a user's email to a new state if it is in one of the allowed states."""
        changed = await self.connection.fetchval(
            "UPDATE emails SET status = $4, updated_at = $5"
            " WHERE id = $1 AND user_id = $2 AND status = ANY($3::text[]) RETURNING true",
            email_id,
            user_id,
            list(allowed),
            new,
            now,
        )
        return bool(changed)

    async def lock(self, email_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Any:
        """An email's status and latest attempt, its row locked until the transaction ends (a
        user's own, unless `user_id` is None)."""
        return await self.connection.fetchrow(
            "SELECT status, attempts FROM emails"
            " WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2) FOR UPDATE",
            email_id,
            user_id,
        )

    async def stop(self, email_id: uuid.UUID, status: EmailStatus, now: datetime) -> None:
        """End an email in `status`: its recipients without an answer are given up on and its
        waiting delivery requests withdrawn."""
        await self.connection.execute(
            "UPDATE emails SET status = $2, updated_at = $3 WHERE id = $1", email_id, status, now
        )
        await self.connection.execute(
            "UPDATE email_recipients SET status = $2, updated_at = $4"
            " WHERE email_id = $1 AND status = $3",
            email_id,
            RecipientStatus.ABANDONED,
            RecipientStatus.PENDING,
            now,
        )
        await self.drop_pending_outbox([email_id])

    async def drop_pending_outbox(self, email_ids: Sequence[uuid.UUID]) -> None:
        """Forget the delivery requests of these emails that the relay has not published yet."""
        await self.connection.execute(
            "DELETE FROM outbox WHERE email_id = ANY($1::uuid[]) AND published_at IS NULL",
            list(email_ids),
        )

    async def reopen_failed(
        self, email_ids: Sequence[uuid.UUID], now: datetime
    ) -> dict[uuid.UUID, int]:
        """Queue failed emails that have a recipient given up on again, each with a fresh
        attempt budget (it starts at their latest attempt); answers each one's latest attempt.

        A refusal (SMTP 5xx) is a final answer and is never tried again, not even by an owner's
        retry or an operator's replay: an email every recipient refused is left failed.
        """
        rows = await self.connection.fetch(
            """
            UPDATE emails e SET status = $3, attempt_base = attempts, failure_reason = NULL,
                failed_at = NULL, last_error = NULL, updated_at = $2,
                -- an expiry already past would fail the new attempt at once as expired
                expires_at = CASE WHEN expires_at <= $2 THEN NULL ELSE expires_at END
            WHERE id = ANY($1::uuid[]) AND status = $4 AND EXISTS (
                SELECT FROM email_recipients r WHERE r.email_id = e.id AND r.status = $5)
            RETURNING id, attempts
            """,
            list(email_ids),
            now,
            EmailStatus.QUEUED,
            EmailStatus.FAILED,
            RecipientStatus.ABANDONED,
        )
        return {row["id"]: row["attempts"] for row in rows}

    async def reopen_recipients(self, email_ids: Sequence[uuid.UUID], now: datetime) -> None:
        """Recipients given up on go back to `pending`; their last SMTP answer is kept."""
        await self.connection.execute(
            "UPDATE email_recipients SET status = $3, updated_at = $2"
            " WHERE email_id = ANY($1::uuid[]) AND status = $4",
            list(email_ids),
            now,
            RecipientStatus.PENDING,
            RecipientStatus.ABANDONED,
        )

    async def page(
        self,
        user_id: uuid.UUID,
        statuses: Sequence[str],
        q: str | None,
        offset: int,
        limit: int,
        batch_id: uuid.UUID | None = None,
    ) -> tuple[int, str]:
        """A page of a user's emails (of one batch), newest first, as a JSON array of
        `EmailSummary` written by PostgreSQL, and how many there are: one statement, and
        nothing done here for each email."""
        where, arguments = _filters(statuses, q, batch_id, first=2)
        n = 2 + len(arguments)
        if q or batch_id:  # no counter for these: count the matches (a search, a batch view)
            total = f"SELECT count(*) FROM emails e WHERE e.user_id = $1{where}"
        else:  # the counters; the states, if any, are the only condition ($2)
            in_states = " AND c.status = ANY($2::text[])" if statuses else ""
            total = "SELECT coalesce(sum(count), 0) FROM email_counts c"
            total += f" WHERE c.user_id = $1{in_states}"
        row = await self.connection.fetchrow(
            # Joined by hand rather than by json_agg, which puts a space after each comma.
            "SELECT '[' || coalesce(string_agg(page.summary::text, ','"
            " ORDER BY page.created_at DESC, page.id DESC), '') || ']' AS items,"
            f" ({total}) AS total"
            f" FROM ({_SUMMARY} WHERE e.user_id = $1{where}"
            f" ORDER BY e.created_at DESC, e.id DESC OFFSET ${n} LIMIT ${n + 1}) page",
            user_id,
            *arguments,
            offset,
            limit,
        )
        assert row is not None
        return int(row["total"]), str(row["items"])

    async def count_by_status(self, user_id: uuid.UUID) -> dict[str, int]:
        """Every state's count for a user, from the counters the trigger on emails keeps."""
        rows = await self.connection.fetch(
            "SELECT status, sum(count) AS n FROM email_counts WHERE user_id = $1 GROUP BY status",
            user_id,
        )
        return {row["status"]: int(row["n"]) for row in rows}

    async def count_all_by_status(self) -> dict[str, int]:
        """Every state's count over all users (for the metrics), from the same counters."""
        rows = await self.connection.fetch(
            "SELECT status, sum(count) AS n FROM email_counts GROUP BY status"
        )
        return {row["status"]: int(row["n"]) for row in rows}

    async def series(
        self, user_id: uuid.UUID, unit: str, since: datetime, until: datetime
    ) -> list[Any]:
        """Sent and failed counts per UTC hour or day, zero-filled, from `since` to `until`."""
        # A sent email counts when it was sent; a failed one when it failed (its last update).
        return await self.connection.fetch(
            """
            WITH finished AS (
                SELECT status, coalesce(sent_at, updated_at) AS at FROM emails
                WHERE user_id = $1 AND status = ANY($5::text[])
                  AND coalesce(sent_at, updated_at) >= date_trunc($2, $3::timestamptz)
            ), counts AS (
                SELECT date_trunc($2, at) AS start,
                       count(*) FILTER (WHERE status = $6) AS sent,
                       count(*) FILTER (WHERE status = $7) AS failed
                FROM finished GROUP BY 1
            )
            SELECT grid.start, coalesce(counts.sent, 0) AS sent,
                   coalesce(counts.failed, 0) AS failed
            FROM generate_series(date_trunc($2, $3::timestamptz), date_trunc($2, $4::timestamptz),
                                 ('1 ' || $2)::interval) AS grid(start)
            LEFT JOIN counts ON counts.start = grid.start
            ORDER BY grid.start
            """,
            user_id,
            unit,
            since,
            until,
            list(FINISHED_DELIVERIES),
            EmailStatus.SENT,
            EmailStatus.FAILED,
        )

    async def sent_since(self, user_id: uuid.UUID, since: datetime) -> int:
        counted = await self.connection.fetchval(
            "SELECT count(*) FROM emails WHERE user_id = $1 AND status = $2 AND sent_at >= $3",
            user_id,
            EmailStatus.SENT,
            since,
        )
        return int(counted)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _numbered(
    per_email: Sequence[Sequence[T]],
    columns_of: Callable[[int, T], tuple[Any, ...]],
    width: int,
) -> list[list[Any]]:
    """Every email's rows (recipients, attachments) as flat column arrays, each row led by its
    email's number (from 1, as WITH ORDINALITY numbers the emails) and its position in it."""
    columns: list[list[Any]] = [[] for _ in range(width + 1)]
    for number, rows in enumerate(per_email, start=1):
        for position, row in enumerate(rows):
            for column, value in zip(columns, (number, *columns_of(position, row)), strict=True):
                column.append(value)
    return columns


def _filters(
    statuses: Sequence[str], q: str | None, batch_id: uuid.UUID | None, first: int
) -> tuple[str, list[Any]]:
    """The list's optional conditions, their parameters numbered from `$first`."""
    conditions: list[str] = []
    arguments: list[Any] = []
    if batch_id:
        arguments.append(batch_id)
        conditions.append(f"e.batch_id = ${first + len(arguments) - 1}")
    if statuses:
        arguments.append(list(statuses))
        conditions.append(f"e.status = ANY(${first + len(arguments) - 1}::text[])")
    if q:
        arguments.append(like_containing(q))
        conditions.append(_MATCHING_TEXT.format(p=f"${first + len(arguments) - 1}"))
    return "".join(f" AND {condition}" for condition in conditions), arguments


def quota_window(limit: int, now: datetime) -> HourlyQuota:
    hour = now.replace(minute=0, second=0, microsecond=0)
    elapsed = (now - hour) / timedelta(hours=1)
    return HourlyQuota(limit, hour, previous_weight=1.0 - elapsed)
