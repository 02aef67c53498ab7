"""All SQL of the webhook dispatcher: taking due deliveries, recording each attempt, disabling an
endpoint that keeps failing, its owner's notice, the backlog figures and the purge of old events.

A delivery is taken by moving its `next_attempt_at` a lease ahead and counting the attempt, in
one statement (`FOR UPDATE SKIP LOCKED`), so any number of dispatchers share the queue and one
that dies mid-request leaves the delivery due again once the lease is over: at least once.
Times are the database's (`now()`), so dispatchers on hosts with different clocks agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from eccs.contracts.lifecycle import DISABLED_FAILING, WebhookDeliveryStatus
from eccs.platform.db import Connection
from eccs.webhooks.repository import give_up_waiting

PENDING = WebhookDeliveryStatus.PENDING.value

# Due deliveries, earliest first, at most `room` per endpoint (the default room for endpoints
# not listed) and `$5` in all; endpoints with no room left ($1) are not even looked at.
_TAKE = f"""
WITH due AS (
    SELECT d.id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d
    JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.disabled_at IS NULL
    WHERE d.status = '{PENDING}' AND d.next_attempt_at <= now()
      AND NOT d.endpoint_id = ANY($1::uuid[])
    ORDER BY d.next_attempt_at LIMIT $6
    FOR UPDATE OF d SKIP LOCKED
), ranked AS (
    SELECT id, endpoint_id, next_attempt_at,
           row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS n
    FROM due
), chosen AS (
    SELECT ranked.id FROM ranked
    LEFT JOIN unnest($2::uuid[], $3::int[]) AS room(endpoint_id, room) USING (endpoint_id)
    WHERE ranked.n <= coalesce(room.room, $4)
    ORDER BY ranked.next_attempt_at LIMIT $5
), taken AS (
    UPDATE webhook_deliveries d
    SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + $7::interval
    FROM chosen WHERE d.id = chosen.id
    RETURNING d.id, d.event_id, d.endpoint_id, d.attempts, d.created_at
)
SELECT t.id, t.attempts, t.created_at, t.endpoint_id, w.url, w.secret,
       CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END
           AS previous_secret,
       e.id AS event_id, e.type AS event_type, e.payload
FROM taken t
JOIN webhook_endpoints w ON w.id = t.endpoint_id
JOIN webhook_events e ON e.id = t.event_id
"""

# An attempt's outcome: the attempt kept, the delivery moved on (only if it is still this
# attempt's), the endpoint's record of failures. A success leaves the endpoint's row alone
# unless it changes something (or its last success is older than a few seconds), so a busy
# endpoint is not rewritten on every event.
_RECORD = f"""
WITH attempt AS (
    INSERT INTO webhook_attempts (delivery_id, endpoint_id, attempt, at, status_code,
                                  latency_ms, response_excerpt, error)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
), delivery AS (
    UPDATE webhook_deliveries SET status = $9, next_attempt_at = coalesce($10, next_attempt_at),
        delivered_at = CASE WHEN $11 THEN $4 END, last_status_code = $5, last_error = $8
    WHERE id = $1 AND attempts = $3 AND status = '{PENDING}'
)
UPDATE webhook_endpoints SET
    consecutive_failures = CASE WHEN $11 THEN 0 ELSE consecutive_failures + 1 END,
    failing_since = CASE WHEN $11 THEN NULL ELSE coalesce(failing_since, $4) END,
    last_success_at = CASE WHEN $11 THEN $4 ELSE last_success_at END,
    last_failure_at = CASE WHEN $11 THEN last_failure_at ELSE $4 END
WHERE id = $2 AND NOT ($11 AND failing_since IS NULL AND consecutive_failures = 0
                       AND last_success_at > $4 - interval '5 seconds')
RETURNING failing_since, disabled_at
"""


class Due(NamedTuple):
    """A delivery taken for one attempt, with what the request needs."""

    id: int
    attempt: int
    created_at: datetime
    endpoint_id: uuid.UUID
    url: str
    secret: str
    previous_secret: str | None
    event_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, as it is recorded."""

    delivery: Due
    at: datetime
    status_code: int | None
    latency_ms: float
    response_excerpt: str | None
    error: str | None
    delivered: bool
    # The delivery's new state: pending (retry at `next_attempt_at`), delivered or failed.
    status: WebhookDeliveryStatus
    next_attempt_at: datetime | None


class EndpointRecord(NamedTuple):
    failing_since: datetime | None
    disabled_at: datetime | None


class Notice(NamedTuple):
    """An endpoint disabled for failing, whose owner has not been told yet."""

    endpoint_id: uuid.UUID
    owner_email: str
    url: str
    failing_since: datetime | None
    disabled_at: datetime
    last_error: str | None


class DispatchQueue:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def take(
        self,
        busy: Sequence[uuid.UUID],
        rooms: Mapping[uuid.UUID, int],
        room: int,
        limit: int,
        lease: timedelta,
    ) -> list[Due]:
        rows = await self.connection.fetch(
            _TAKE,
            list(busy),
            list(rooms),
            list(rooms.values()),
            room,
            limit,
            limit * room,
            lease,
        )
        return [Due(*row) for row in rows]

    async def record(self, outcome: Outcome) -> EndpointRecord | None:
        """Write an attempt's outcome; answers the endpoint's failure record when it changed."""
        delivery = outcome.delivery
        row = await self.connection.fetchrow(
            _RECORD,
            delivery.id,
            delivery.endpoint_id,
            delivery.attempt,
            outcome.at,
            outcome.status_code,
            outcome.latency_ms,
            outcome.response_excerpt,
            outcome.error,
            outcome.status,
            outcome.next_attempt_at,
            outcome.delivered,
        )
        return EndpointRecord(*row) if row is not None else None

    async def disable_failing(self, endpoint_id: uuid.UUID) -> int | None:
        """Disable an endpoint that kept failing and give up its waiting deliveries; answers
        how many, or None when it was disabled already."""
        disabled = await self.connection.fetchval(
            "UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2,"
            " notice_sent_at = NULL, updated_at = now()"
            " WHERE id = $1 AND disabled_at IS NULL RETURNING true",
            endpoint_id,
            DISABLED_FAILING,
        )
        if not disabled:
            return None
        why = "the endpoint was disabled: every attempt to it failed for too long"
        return await give_up_waiting(self.connection, endpoint_id, why)

    async def release(self, deliveries: Sequence[Due]) -> None:
        """Deliveries taken but not attempted after all (the dispatcher is stopping): due again
        now, their attempt not counted."""
        await self.connection.execute(
            "UPDATE webhook_deliveries d SET attempts = d.attempts - 1, next_attempt_at = now()"
            " FROM unnest($1::bigint[], $2::int[]) AS t(id, attempt)"
            f" WHERE d.id = t.id AND d.attempts = t.attempt AND d.status = '{PENDING}'",
            [delivery.id for delivery in deliveries],
            [delivery.attempt for delivery in deliveries],
        )

    async def notices_due(self, limit: int) -> list[Notice]:
        """Endpoints disabled for failing whose owners have not been told, locked until the
        transaction ends (call it in one)."""
        rows = await self.connection.fetch(
            "SELECT w.id, w.owner_email, w.url, w.failing_since, w.disabled_at,"
            " (SELECT a.error FROM webhook_attempts a WHERE a.endpoint_id = w.id"
            "  ORDER BY a.at DESC LIMIT 1)"
            " FROM webhook_endpoints w WHERE w.disabled_reason = $1 AND w.notice_sent_at IS NULL"
            " ORDER BY w.disabled_at LIMIT $2 FOR UPDATE OF w SKIP LOCKED",
            DISABLED_FAILING,
            limit,
        )
        return [Notice(*row) for row in rows]

    async def notice_sent(self, endpoint_id: uuid.UUID) -> None:
        await self.connection.execute(
            "UPDATE webhook_endpoints SET notice_sent_at = now() WHERE id = $1", endpoint_id
        )

    async def backlog(self) -> tuple[int, float]:
        """Deliveries due and not taken, and how long the oldest has waited (seconds)."""
        row = await self.connection.fetchrow(
            "SELECT count(*), coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)"
            f" FROM webhook_deliveries WHERE status = '{PENDING}' AND next_attempt_at <= now()"
        )
        assert row is not None
        return int(row[0]), float(row[1])

    async def purge(self, older_than: timedelta, batch: int) -> int:
        """Delete events older than `older_than` with their deliveries and attempts, a batch
        at a time; answers how many events."""
        purged = await self.connection.fetchval(
            "WITH old AS (DELETE FROM webhook_events WHERE id IN ("
            " SELECT id FROM webhook_events WHERE created_at < now() - $1::interval LIMIT $2)"
            " RETURNING 1) SELECT count(*) FROM old",
            older_than,
            batch,
        )
        return int(purged)
