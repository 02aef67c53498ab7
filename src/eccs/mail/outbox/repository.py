"""All SQL of the outbox relay: claiming due rows, marking them published, the visibility sweep,
the backlog figures and housekeeping.

Times are the database's (`now()`), so relays on hosts with different clocks agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, exists, extract, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.models import Email, OutboxEntry

# Emails a published request moves to `queued`: a first send, a due scheduled send, a due retry.
BECOME_QUEUED = ("scheduled", "retrying", "queued")
# Emails a worker should be busy with; past the visibility timeout they are requested again.
IN_FLIGHT = ("queued", "sending")


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
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_due(self, limit: int) -> list[DueRow]:
        """Lock up to `limit` due rows and their emails for this transaction.

        Rows another relay holds are skipped, and so are rows whose email is locked (being
        cancelled, say): waiting for it while holding the outbox row, which a cancel deletes,
        could deadlock. Holding the email also makes a worker that picks up the message before
        this transaction commits wait for the email's `queued` status instead of missing it.
        """
        query = (
            select(*(getattr(OutboxEntry, field) for field in DueRow._fields))
            .join(Email, Email.id == OutboxEntry.email_id)
            .where(OutboxEntry.published_at.is_(None), OutboxEntry.available_at <= func.now())
            .order_by(OutboxEntry.available_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=(OutboxEntry, Email))
        )
        return [DueRow(*row) for row in (await self.session.execute(query)).all()]

    async def mark_published(self, ids: Sequence[int]) -> None:
        # The statement's time, not the transaction's: the broker has acknowledged by now.
        published = update(OutboxEntry).where(OutboxEntry.id.in_(ids))
        await self.session.execute(published.values(published_at=func.statement_timestamp()))

    async def queue_emails(self, email_ids: Sequence[uuid.UUID]) -> None:
        """Their request is on its way: `queued`, with the visibility timeout counting from now.

        Emails in any other state (sending, sent, failed, cancelled) are left alone.
        """
        query = (
            update(Email)
            .where(Email.id.in_(set(email_ids)), Email.status.in_(BECOME_QUEUED))
            .values(status="queued", updated_at=func.statement_timestamp())
        )
        await self.session.execute(query)

    async def seconds_until_next_due(self) -> float | None:
        """Seconds until the earliest unpublished row is due (<= 0: one is due now), or None."""
        query = select(extract("epoch", func.min(OutboxEntry.available_at) - func.now())).where(
            OutboxEntry.published_at.is_(None)
        )
        seconds = (await self.session.execute(query)).scalar_one_or_none()
        return None if seconds is None else float(seconds)

    async def requeue_stale(self, idle_for: timedelta, limit: int) -> list[tuple[uuid.UUID, int]]:
        """Move in-flight emails idle for longer than `idle_for` back to `queued`.

        Only emails with no unpublished request: one already waiting in the outbox will deliver
        them. Rows another replica is sweeping are skipped. Returns (email id, attempts).
        """
        pending = exists().where(
            OutboxEntry.email_id == Email.id, OutboxEntry.published_at.is_(None)
        )
        stale = (
            select(Email.id)
            .where(Email.status.in_(IN_FLIGHT), Email.updated_at < func.now() - idle_for, ~pending)
            .order_by(Email.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        query = (
            update(Email)
            .where(Email.id.in_(stale.scalar_subquery()))
            .values(status="queued", updated_at=func.now())
            .returning(Email.id, Email.attempts)
        )
        return [(row.id, row.attempts) for row in (await self.session.execute(query)).all()]

    async def add(self, rows: list[dict[str, Any]]) -> None:
        await self.session.execute(insert(OutboxEntry), rows)

    async def backlog(self) -> Backlog:
        query = select(
            func.count(), extract("epoch", func.now() - func.min(OutboxEntry.available_at))
        ).where(OutboxEntry.published_at.is_(None), OutboxEntry.available_at <= func.now())
        count, age = (await self.session.execute(query)).one()
        return Backlog(int(count), float(age or 0.0))

    async def purge_published(self, older_than: timedelta, limit: int) -> int:
        """Delete up to `limit` rows published more than `older_than` ago; returns how many."""
        old = (
            select(OutboxEntry.id)
            .where(OutboxEntry.published_at < func.now() - older_than)
            .limit(limit)
        )
        query = delete(OutboxEntry).where(OutboxEntry.id.in_(old.scalar_subquery()))
        result = await self.session.execute(query)
        return int(result.rowcount)  # type: ignore[attr-defined]
