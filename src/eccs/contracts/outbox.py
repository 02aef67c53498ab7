"""Outbox rows: messages written in the same transaction as the change that causes them, and
published to Kafka by the relay once committed and due.

Every outbox row is written through `insert_sql` — by `add_to_outbox`, or inside a statement of
a hot path that writes its row together with the email (the send) — so the row's shape is in one
place. Delays (a scheduled send, a retry's backoff) are the row's `available_at`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eccs.contracts.messages import EmailDeadLetteredV1, RequestReason, email_requested
from eccs.contracts.topics import ATTEMPT_HEADER, EMAIL_DLQ, EMAIL_REQUESTED
from eccs.platform.db import Connection


@dataclass(frozen=True)
class OutboxRow:
    email_id: uuid.UUID
    topic: str
    key: str
    payload: dict[str, Any]
    headers: dict[str, str]
    available_at: datetime


def delivery_request(
    email_id: uuid.UUID,
    reason: RequestReason,
    attempt: int,
    now: datetime,
    due: datetime,
    traceparent: str | None = None,
) -> OutboxRow:
    """A request for attempt `attempt` of an email, published when `due`."""
    payload, headers = email_requested(email_id, reason, attempt, now, traceparent)
    return OutboxRow(email_id, EMAIL_REQUESTED, str(email_id), payload, headers, due)


def dead_letter(letter: EmailDeadLetteredV1, attempt: int, now: datetime) -> OutboxRow:
    """A failed email's record for the DLQ topic, published with the failure's commit."""
    assert letter.email_id is not None
    payload = letter.model_dump(mode="json")
    headers = {ATTEMPT_HEADER: str(attempt)}
    return OutboxRow(letter.email_id, EMAIL_DLQ, str(letter.email_id), payload, headers, now)


def insert_sql(first_parameter: int = 1, only_if: str = "true") -> str:
    """The one INSERT of outbox rows: six array parameters from `$first_parameter`, one element
    per row, in the order `columns` gives them; each row written only if the SQL condition
    `only_if` holds for it (a statement that writes rows together with the emails they are
    about), which can name the row's columns as `new_row.email_id` and so on."""
    n = first_parameter
    return (
        "INSERT INTO outbox (email_id, topic, key, payload, headers, available_at)"
        f" SELECT * FROM unnest(${n}::uuid[], ${n + 1}::text[], ${n + 2}::text[],"
        f" ${n + 3}::jsonb[], ${n + 4}::jsonb[], ${n + 5}::timestamptz[])"
        f" AS new_row(email_id, topic, key, payload, headers, available_at) WHERE {only_if}"
    )


def columns(rows: Sequence[OutboxRow]) -> tuple[list[Any], ...]:
    """The rows as the six arrays `insert_sql` takes."""
    return (
        [row.email_id for row in rows],
        [row.topic for row in rows],
        [row.key for row in rows],
        [row.payload for row in rows],
        [row.headers for row in rows],
        [row.available_at for row in rows],
    )


_INSERT = insert_sql()


async def add_to_outbox(connection: Connection, rows: Sequence[OutboxRow]) -> None:
    """Write outbox rows in the caller's transaction (one statement, whatever their number)."""
    if rows:
        await connection.execute(_INSERT, *columns(rows))
