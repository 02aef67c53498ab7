"""All SQL about dead-lettered emails: failed emails, found by why and when they failed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.emails.repository import has_recipient_to_retry
from eccs.mail.models import Email, Recipient


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which failed emails: by failure reason, and failed at or after `since`, before `until`."""

    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Replays take only emails with a recipient given up on: refusals are final.
    replayable_only: bool = False

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = [Email.status == "failed"]
        if self.replayable_only:
            conditions.append(has_recipient_to_retry())
        if self.reason is not None:
            conditions.append(Email.failure_reason == self.reason)
        if self.since is not None:
            conditions.append(Email.failed_at >= self.since)
        if self.until is not None:
            conditions.append(Email.failed_at < self.until)
        return conditions


class DeadLetterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self, matching: DeadLetterFilter) -> int:
        query = select(func.count()).select_from(Email).where(*matching.conditions())
        return int((await self.session.execute(query)).scalar_one())

    async def latest(self, matching: DeadLetterFilter, offset: int, limit: int) -> Sequence[Email]:
        """A page of matching emails, the latest failure first."""
        query = (
            select(Email)
            .where(*matching.conditions())
            .order_by(Email.failed_at.desc(), Email.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def recipients_of(self, email_ids: Sequence[uuid.UUID]) -> Sequence[Recipient]:
        query = (
            select(Recipient)
            .where(Recipient.email_id.in_(email_ids))
            .order_by(Recipient.email_id, Recipient.position)
        )
        return (await self.session.execute(query)).scalars().all()

    async def lock_oldest(self, matching: DeadLetterFilter, limit: int) -> list[uuid.UUID]:
        """Lock up to `limit` matching emails, the oldest failure first, skipping any another
        transaction holds: two concurrent replays never take the same email."""
        query = (
            select(Email.id)
            .where(*matching.conditions())
            .order_by(Email.failed_at, Email.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars().all())
