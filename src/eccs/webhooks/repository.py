"""All SQL of the webhook API: a sender's endpoints, their deliveries with every attempt, the
events kept, re-sends and test events (the tables: contracts/webhook_tables.py). The
dispatcher's own statements are in `queue.py`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eccs.contracts.lifecycle import DISABLED_BY_OWNER, WebhookDeliveryStatus
from eccs.contracts.webhook_events import NewEvent
from eccs.platform.db import Connection

_ENDPOINT = "SELECT * FROM webhook_endpoints"

# What the owner sees of each delivery: the event's type and recipient, and every attempt.
_DELIVERIES = """
SELECT d.id, d.event_id, e.type AS event_type, e.email_id,
       e.payload -> 'data' ->> 'recipient' AS recipient, d.status, d.next_attempt_at,
       d.delivered_at, d.last_status_code, d.last_error, d.created_at,
       coalesce((SELECT json_agg(json_build_object(
                    'attempt', a.attempt, 'at', a.at, 'status_code', a.status_code,
                    'latency_ms', a.latency_ms, 'response_excerpt', a.response_excerpt,
                    'error', a.error) ORDER BY a.attempt)
                 FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS attempts
FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2)
"""


class WebhookRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # --- endpoints ------------------------------------------------------------------------------

    async def count(self, user_id: uuid.UUID) -> int:
        counted = await self.connection.fetchval(
            "SELECT count(*) FROM webhook_endpoints WHERE user_id = $1", user_id
        )
        return int(counted)

    async def add(
        self,
        user_id: uuid.UUID,
        owner_email: str,
        url: str,
        description: str | None,
        event_types: Sequence[str],
        secret: str,
        now: datetime,
    ) -> Any:
        return await self.connection.fetchrow(
            "INSERT INTO webhook_endpoints (id, user_id, owner_email, url, description,"
            " event_types, secret, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
            uuid.uuid4(),
            user_id,
            owner_email,
            url,
            description,
            list(event_types),
            secret,
            now,
        )

    async def page(self, user_id: uuid.UUID, offset: int, limit: int) -> tuple[int, list[Any]]:
        rows = await self.connection.fetch(
            f"{_ENDPOINT} WHERE user_id = $1 ORDER BY created_at DESC, id OFFSET $2 LIMIT $3",
            user_id,
            offset,
            limit,
        )
        return await self.count(user_id), rows

    async def get(self, user_id: uuid.UUID, endpoint_id: uuid.UUID) -> Any:
        return await self.connection.fetchrow(
            f"{_ENDPOINT} WHERE id = $1 AND user_id = $2", endpoint_id, user_id
        )

    async def update(
        self, user_id: uuid.UUID, endpoint_id: uuid.UUID, changes: dict[str, Any], now: datetime
    ) -> Any:
        """Set the columns named in `changes` (url, description, event_types, owner_email)."""
        assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(changes, start=4))
        return await self.connection.fetchrow(
            f"UPDATE webhook_endpoints SET {assignments}, updated_at = $3"
            " WHERE id = $1 AND user_id = $2 RETURNING *",
            endpoint_id,
            user_id,
            now,
            *changes.values(),
        )

    async def disable(self, user_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime) -> Any:
        """Disabled by its owner: nothing more is sent to it, its waiting deliveries given up."""
        row = await self.connection.fetchrow(
            "UPDATE webhook_endpoints SET disabled_at = coalesce(disabled_at, $3),"
            " disabled_reason = coalesce(disabled_reason, $4), updated_at = $3"
            " WHERE id = $1 AND user_id = $2 RETURNING *",
            endpoint_id,
            user_id,
            now,
            DISABLED_BY_OWNER,
        )
        if row is not None:
            await give_up_waiting(self.connection, endpoint_id, "the endpoint was disabled")
        return row

    async def enable(self, user_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime) -> Any:
        """Enabled again, with a clean record: it is no longer failing as far as anyone knows."""
        return await self.connection.fetchrow(
            "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL,"
            " notice_sent_at = NULL, failing_since = NULL, consecutive_failures = 0,"
            " updated_at = $3 WHERE id = $1 AND user_id = $2 RETURNING *",
            endpoint_id,
            user_id,
            now,
        )

    async def rotate(
        self,
        user_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        secret: str,
        previous_until: datetime,
        now: datetime,
    ) -> Any:
        return await self.connection.fetchrow(
            "UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,"
            " previous_secret_expires_at = $4, updated_at = $5"
            " WHERE id = $1 AND user_id = $2 RETURNING *",
            endpoint_id,
            user_id,
            secret,
            previous_until,
            now,
        )

    async def delete(self, user_id: uuid.UUID, endpoint_id: uuid.UUID) -> bool:
        deleted = await self.connection.fetchval(
            "DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2 RETURNING true",
            endpoint_id,
            user_id,
        )
        return bool(deleted)

    # --- deliveries and events ------------------------------------------------------------------

    async def deliveries(
        self, endpoint_id: uuid.UUID, status: str | None, offset: int, limit: int
    ) -> tuple[int, list[Any]]:
        rows = await self.connection.fetch(
            f"{_DELIVERIES} ORDER BY d.created_at DESC, d.id DESC OFFSET $3 LIMIT $4",
            endpoint_id,
            status,
            offset,
            limit,
        )
        total = await self.connection.fetchval(
            "SELECT count(*) FROM webhook_deliveries"
            " WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2)",
            endpoint_id,
            status,
        )
        return int(total), rows

    async def delivery(self, endpoint_id: uuid.UUID, delivery_id: int) -> Any:
        return await self.connection.fetchrow(
            f"{_DELIVERIES} AND d.id = $3", endpoint_id, None, delivery_id
        )

    async def events(
        self,
        user_id: uuid.UUID,
        event_type: str | None,
        email_id: uuid.UUID | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[Any]]:
        where = (
            "WHERE user_id = $1 AND ($2::text IS NULL OR type = $2)"
            " AND ($3::uuid IS NULL OR email_id = $3)"
        )
        rows = await self.connection.fetch(
            "SELECT id, type, email_id, payload, created_at FROM webhook_events"
            f" {where} ORDER BY created_at DESC, id OFFSET $4 LIMIT $5",
            user_id,
            event_type,
            email_id,
            offset,
            limit,
        )
        total = await self.connection.fetchval(
            f"SELECT count(*) FROM webhook_events {where}", user_id, event_type, email_id
        )
        return int(total), rows

    async def resend(
        self, user_id: uuid.UUID, endpoint_id: uuid.UUID, event_id: uuid.UUID, now: datetime
    ) -> int | None:
        """A new delivery, due now, of one of the sender's events to one of their enabled
        endpoints; None when either is not theirs (or the endpoint is disabled)."""
        delivery_id = await self.connection.fetchval(
            "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at,"
            " created_at) SELECT e.id, w.id, $4, $5, $5"
            " FROM webhook_events e JOIN webhook_endpoints w ON w.user_id = e.user_id"
            " WHERE e.id = $3 AND w.id = $2 AND e.user_id = $1 AND w.disabled_at IS NULL"
            " RETURNING id",
            user_id,
            endpoint_id,
            event_id,
            WebhookDeliveryStatus.PENDING,
            now,
        )
        return int(delivery_id) if delivery_id is not None else None

    async def add_for(self, endpoint_id: uuid.UUID, event: NewEvent, now: datetime) -> int:
        """Store an event for one endpoint only, whatever it subscribes to (a test event)."""
        delivery_id = await self.connection.fetchval(
            """
            WITH event AS (
                INSERT INTO webhook_events (id, user_id, type, email_id, payload, created_at)
                VALUES ($1, $2, $3, $4, $5, $7) RETURNING id
            )
            INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at,
                                            created_at)
            SELECT id, $6, $8, $7, $7 FROM event RETURNING id
            """,
            event.id,
            event.user_id,
            event.type,
            event.email_id,
            event.payload,
            endpoint_id,
            now,
            WebhookDeliveryStatus.PENDING,
        )
        return int(delivery_id)


async def give_up_waiting(connection: Connection, endpoint_id: uuid.UUID, why: str) -> int:
    """Fail every delivery still waiting for an endpoint; answers how many."""
    given_up = await connection.fetchval(
        "WITH failed AS (UPDATE webhook_deliveries SET status = $2, last_error = $3"
        " WHERE endpoint_id = $1 AND status = $4 RETURNING 1) SELECT count(*) FROM failed",
        endpoint_id,
        WebhookDeliveryStatus.FAILED,
        why,
        WebhookDeliveryStatus.PENDING,
    )
    return int(given_up)
