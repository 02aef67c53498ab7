"""All SQL of the outbox relay: claiming due rows, marking them published, the visibility sweep,
the backlog figures and housekeeping.

Times are the database's (`now()`), so relays on hosts with different clocks agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from eccs.contracts.lifecycle import BECOME_QUEUED, IN_FLIGHT, EmailStatus
from eccs.platform.db import Connection


class DueRow(NamedTuple):
    id: int
    email_id: uuid.UUID
    topic: str
    key: str
    payload: dict[str, Any]
    headers: dict[str, str]
    available_at: datetime


class Backlog(NamedTuple):
    rows: int
    oldest_age_seconds: float


class OutboxRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def plan_for_each_batch(self) -> None:
        """Until the transaction ends, plan each statement for its batch.

        A prepared statement otherwise runs on a generic plan after its fifth run. Made while
        the outbox was small, that plan finds a batch's rows by reading the whole table, which
        keeps published rows for an hour; planning once per batch costs next to nothing.
        """
        await self.connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")

    async def claim_due(self, limit: int) -> list[DueRow]:
        """Lock up to `limit` due rows and their emails for this transaction.

        Rows another relay holds are skipped, and so are rows whose email is locked (being
        cancelled, say): waiting for it while holding the outbox row, which a cancel deletes,
        could deadlock. Holding the email also makes a worker that picks up the message before
        this transaction commits wait for the email's `queued` status instead of missing it.
        """
        rows = await self.connection.fetch(
            """
            SELECT o.id, o.email_id, o.topic, o.key, o.payload, o.headers, o.available_at
            FROM outbox o JOIN emails e ON e.id = o.email_id
            WHERE o.published_at IS NULL AND o.available_at <= now()
            ORDER BY o.available_at LIMIT $1
            FOR UPDATE OF o, e SKIP LOCKED
            """,
            limit,
        )
        return [DueRow(*row) for row in rows]

    async def mark_published(self, ids: Sequence[int]) -> None:
        # The statement's time, not the transaction's: the broker has acknowledged by now.
        await self.connection.execute(
            "UPDATE outbox SET published_at = statement_timestamp() WHERE id = ANY($1::bigint[])",
            list(ids),
        )

    async def queue_emails(self, email_ids: Sequence[uuid.UUID]) -> None:
        """Their request is on its way: scheduled and retrying emails become `queued`.

        Emails in any other state are left alone: one already `queued` (a send due at once) is
        not written again, which would cost a new version of its row for every send; the
        visibility timeout counts from its request's publication (`requeue_stale`).
        """
        await self.connection.execute(
            "UPDATE emails SET status = $2, updated_at = statement_timestamp()"
            " WHERE id = ANY($1::uuid[]) AND status = ANY($3::text[])",
            list(set(email_ids)),
            EmailStatus.QUEUED,
            list(BECOME_QUEUED),
        )

    async def seconds_until_next_due(self) -> float | None:
        """Seconds until the earliest unpublished row is due (<= 0: one is due now), or None."""
        seconds = await self.connection.fetchval(
            "SELECT extract(epoch FROM min(available_at) - now()) FROM outbox"
            " WHERE published_at IS NULL"
        )
        return None if seconds is None else float(seconds)

    async def requeue_stale(self, idle_for: timedelta, limit: int) -> list[tuple[uuid.UUID, int]]:
        """Move in-flight emails idle for longer than `idle_for` back to `queued`.

        Idle: not changed, and no request published, for that long; and no request waiting in
        the outbox, which will deliver them. Rows another replica is sweeping are skipped.
        Returns (email id, attempts).
        """
        rows = await self.connection.fetch(
            """
            UPDATE emails SET status = $3, updated_at = now()
            WHERE id IN (
                SELECT e.id FROM emails e
                WHERE e.status = ANY($4::text[]) AND e.updated_at < now() - $1::interval
                  AND NOT EXISTS (SELECT FROM outbox o
                                  WHERE o.email_id = e.id
                                    AND (o.published_at IS NULL
                                         OR o.published_at >= now() - $1::interval))
                ORDER BY e.updated_at LIMIT $2
                FOR UPDATE SKIP LOCKED)
            RETURNING id, attempts
            """,
            idle_for,
            limit,
            EmailStatus.QUEUED,
            list(IN_FLIGHT),
        )
        return [(row["id"], row["attempts"]) for row in rows]

    async def backlog(self) -> Backlog:
        row = await self.connection.fetchrow(
            "SELECT count(*), extract(epoch FROM now() - min(available_at)) FROM outbox"
            " WHERE published_at IS NULL AND available_at <= now()"
        )
        assert row is not None
        return Backlog(int(row[0]), float(row[1] or 0.0))

    async def purge_published(self, older_than: timedelta, limit: int) -> int:
        """Delete up to `limit` rows published more than `older_than` ago; returns how many."""
        deleted = await self.connection.fetch(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
            " WHERE published_at < now() - $1::interval LIMIT $2) RETURNING id",
            older_than,
            limit,
        )
        return len(deleted)
