"""All SQL about dead-lettered emails: failed emails, found by why and when they failed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eccs.contracts.lifecycle import EmailStatus, RecipientStatus
from eccs.platform.db import Connection


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which failed emails: by failure reason, and failed at or after `since`, before `until`."""

    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Replays take only emails with a recipient given up on: refusals are final.
    replayable_only: bool = False

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on `emails e`, and its parameters from $1."""
        arguments: list[Any] = [
            EmailStatus.FAILED,
            self.reason,
            self.since,
            self.until,
            self.replayable_only,
            RecipientStatus.ABANDONED,
        ]
        condition = (
            "e.status = $1 AND ($2::text IS NULL OR e.failure_reason = $2)"
            " AND ($3::timestamptz IS NULL OR e.failed_at >= $3)"
            " AND ($4::timestamptz IS NULL OR e.failed_at < $4)"
            " AND (NOT $5 OR EXISTS (SELECT FROM email_recipients r"
            " WHERE r.email_id = e.id AND r.status = $6))"
        )
        return condition, arguments


class DeadLetterRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def count(self, matching: DeadLetterFilter) -> int:
        where, arguments = matching.where()
        counted = await self.connection.fetchval(
            f"SELECT count(*) FROM emails e WHERE {where}", *arguments
        )
        return int(counted)

    async def latest(self, matching: DeadLetterFilter, offset: int, limit: int) -> list[Any]:
        """A page of matching emails, the latest failure first."""
        where, arguments = matching.where()
        return await self.connection.fetch(
            "SELECT id, user_id, sender_email, subject, failure_reason, last_error, failed_at,"
            f" attempts FROM emails e WHERE {where}"
            " ORDER BY failed_at DESC, id DESC OFFSET $7 LIMIT $8",
            *arguments,
            offset,
            limit,
        )

    async def recipients_of(self, email_ids: Sequence[uuid.UUID]) -> list[Any]:
        return await self.connection.fetch(
            "SELECT email_id, address, kind, status, smtp_code, smtp_reply FROM email_recipients"
            " WHERE email_id = ANY($1::uuid[]) ORDER BY email_id, position",
            list(email_ids),
        )

    async def lock_oldest(self, matching: DeadLetterFilter, limit: int) -> list[uuid.UUID]:
        """Lock up to `limit` matching emails, the oldest failure first, skipping any another
        transaction holds: two concurrent replays never take the same email."""
        where, arguments = matching.where()
        rows = await self.connection.fetch(
            f"SELECT id FROM emails e WHERE {where} ORDER BY failed_at, id LIMIT $7"
            " FOR UPDATE SKIP LOCKED",
            *arguments,
            limit,
        )
        return [row["id"] for row in rows]
