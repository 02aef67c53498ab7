"""All SQL of suppression lists (the table: contracts/tables.py), and what unsubscribe links and
complaints need to know of the email they are about."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eccs.contracts.lifecycle import RecipientKind, SuppressionReason
from eccs.platform.db import Connection, like_containing

_LISTED = (
    "SELECT address, reason, created_at, email_id, smtp_code, detail, user_id, sender_email"
    " FROM suppressions"
)
# $1: whose list (any, for operators), $2: text in the address, $3: the reason.
_MATCHING = (
    " WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR address ILIKE $2)"
    " AND ($3::text IS NULL OR reason = $3)"
)


@dataclass(frozen=True)
class NewSuppression:
    user_id: uuid.UUID
    address: str
    reason: SuppressionReason
    sender_email: str
    email_id: uuid.UUID | None = None
    detail: str | None = None


@dataclass(frozen=True)
class SentTo:
    """One recipient of one email, with what a suppression or an event says of the email."""

    email_id: uuid.UUID
    user_id: uuid.UUID
    sender_name: str
    sender_email: str
    subject: str
    address: str
    kind: RecipientKind


_SENT_TO = (
    "SELECT e.id, e.user_id, e.sender_name, e.sender_email, e.subject, r.address, r.kind"
    " FROM emails e JOIN email_recipients r ON r.email_id = e.id"
)


class SuppressionRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def page(
        self,
        user_id: uuid.UUID | None,
        q: str | None,
        reason: str | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[Any]]:
        """A page of one sender's list (every sender's: None), newest first, and its total."""
        arguments = (user_id, like_containing(q) if q else None, reason)
        rows = await self.connection.fetch(
            f"{_LISTED}{_MATCHING} ORDER BY created_at DESC, address OFFSET $4 LIMIT $5",
            *arguments,
            offset,
            limit,
        )
        total = await self.connection.fetchval(
            f"SELECT count(*) FROM suppressions{_MATCHING}", *arguments
        )
        return int(total), rows

    async def get(self, user_id: uuid.UUID, address: str) -> Any:
        return await self.connection.fetchrow(
            f"{_LISTED} WHERE user_id = $1 AND address = lower($2)", user_id, address
        )

    async def add(self, new: NewSuppression, now: datetime) -> Any:
        """The suppression added, or None when the address was listed already."""
        return await self.connection.fetchrow(
            "INSERT INTO suppressions (user_id, address, reason, sender_email, email_id, detail,"
            " created_at) VALUES ($1, lower($2), $3, $4, $5, $6, $7)"
            " ON CONFLICT (user_id, address) DO NOTHING"
            " RETURNING address, reason, created_at, email_id, smtp_code, detail",
            new.user_id,
            new.address,
            new.reason,
            new.sender_email,
            new.email_id,
            new.detail,
            now,
        )

    async def remove(self, user_id: uuid.UUID, address: str) -> bool:
        removed = await self.connection.fetchval(
            "DELETE FROM suppressions WHERE user_id = $1 AND address = lower($2) RETURNING true",
            user_id,
            address,
        )
        return bool(removed)

    async def unsubscribing(self, token: str) -> SentTo | None:
        """The email an unsubscribe link belongs to, and its one recipient."""
        row = await self.connection.fetchrow(f"{_SENT_TO} WHERE e.unsubscribe_token = $1", token)
        return SentTo(*row) if row else None

    async def recipients(self, user_id: uuid.UUID, email_id: uuid.UUID) -> list[SentTo]:
        """Every recipient of one of the sender's emails (none: not theirs, or no such email)."""
        rows = await self.connection.fetch(
            f"{_SENT_TO} WHERE e.id = $1 AND e.user_id = $2 ORDER BY r.position",
            email_id,
            user_id,
        )
        return [SentTo(*row) for row in rows]
