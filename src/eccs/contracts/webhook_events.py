"""Webhook events: what an endpoint receives, and the one way events are written.

Events are written in the statement or transaction of the change that causes them (a delivery
outcome, an unsubscribe, a complaint), like outbox rows: an event exists if and only if what it
tells happened. `insert_sql` stores an event only when one of its sender's enabled endpoints
subscribes to its type, with one pending delivery per such endpoint, which the dispatcher
(webhooks/dispatcher.py) picks up. A sender without endpoints costs an index lookup, nothing
more.

The request body is the event as `Event` describes it (the Standard Webhooks payload shape: id,
type, timestamp, data); its `id` is also the `webhook-id` header, the same on every retry, so a
receiver can drop an event it already has.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from eccs.contracts.lifecycle import EventType, RecipientKind, WebhookDeliveryStatus
from eccs.platform.db import Connection


class EmailEventData(BaseModel):
    """The facts of one recipient of one email."""

    email_id: uuid.UUID
    subject: str
    recipient: str
    recipient_kind: RecipientKind
    attempt: int | None = Field(
        default=None, description="The delivery attempt it happened in (none for steps outside)."
    )
    smtp_code: int | None = None
    smtp_reply: str | None = None
    reason: str | None = Field(
        default=None,
        description="email.failed: refused, exhausted, expired, invalid or suppressed;"
        " email.suppressed: why the address is on the list (refused, complaint, unsubscribed,"
        " manual).",
    )
    next_attempt_at: datetime | None = Field(
        default=None, description="email.deferred: when the next attempt is due."
    )


class WebhookTestData(BaseModel):
    endpoint_id: uuid.UUID
    message: str


class Event(BaseModel):
    """The body of every webhook request, signed as the Standard Webhooks specification says
    (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers)."""

    id: uuid.UUID = Field(description="The event's id; also the webhook-id header.")
    type: EventType
    timestamp: datetime = Field(description="When it happened.")
    data: EmailEventData | WebhookTestData


@dataclass(frozen=True)
class NewEvent:
    """An event to store for a sender's endpoints."""

    id: uuid.UUID
    user_id: uuid.UUID
    type: EventType
    email_id: uuid.UUID | None
    payload: dict[str, Any]


def email_event(
    type_: EventType, user_id: uuid.UUID, at: datetime, data: EmailEventData
) -> NewEvent:
    event_id = uuid.uuid4()
    body = Event(id=event_id, type=type_, timestamp=at, data=data)
    payload = body.model_dump(mode="json", exclude_none=True)
    return NewEvent(event_id, user_id, type_, data.email_id, payload)


# The endpoint `w` wants the event `e`.
_WANTS = "w.user_id = e.user_id AND w.disabled_at IS NULL AND e.type = ANY(w.event_types)"


def insert_sql(source: str) -> str:
    """Two members of a WITH clause, `events` and `deliveries`, storing the events `source`
    gives (an SQL query of id, user_id, type, email_id, payload) that an endpoint wants, and a
    delivery due now for each endpoint that wants one. `deliveries` returns a row per delivery,
    so the statement can say whether there is anything to dispatch."""
    return f"""events AS (
    INSERT INTO webhook_events (id, user_id, type, email_id, payload, created_at)
    SELECT e.id, e.user_id, e.type, e.email_id, e.payload, now()
    FROM ({source}) AS e(id, user_id, type, email_id, payload)
    WHERE EXISTS (SELECT FROM webhook_endpoints w WHERE {_WANTS})
    RETURNING id, user_id, type
), deliveries AS (
    INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at, created_at)
    SELECT e.id, w.id, '{WebhookDeliveryStatus.PENDING.value}', now(), now()
    FROM events e JOIN webhook_endpoints w ON {_WANTS}
    RETURNING 1
)"""


_INSERT = (
    "WITH "
    + insert_sql(
        "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::jsonb[])"
    )
    + " SELECT count(*) FROM deliveries"
)


def columns(events: Sequence[NewEvent]) -> tuple[list[Any], ...]:
    """The events as the five arrays a `source` of unnest takes."""
    return (
        [event.id for event in events],
        [event.user_id for event in events],
        [event.type for event in events],
        [event.email_id for event in events],
        [event.payload for event in events],
    )


async def add_events(connection: Connection, events: Sequence[NewEvent]) -> int:
    """Store events in the caller's transaction; answers how many deliveries are due now."""
    if not events:
        return 0
    return int(await connection.fetchval(_INSERT, *columns(events)))
