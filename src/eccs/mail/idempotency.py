"""Idempotency keys: the same key and body replay the first answer for 24 hours.

The key is claimed with a transaction-scoped advisory lock and stored in the same transaction as
the work it protects, so a key is never recorded for work that did not happen, and a concurrent
duplicate gets 409 instead of waiting.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.errors import IdempotencyInProgress, IdempotencyMismatch
from eccs.mail.models import IdempotencyKey
from eccs.platform.errors import FieldProblem


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def request_fingerprint(body: dict[str, Any]) -> bytes:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).digest()


def _lock_id(user_id: uuid.UUID, endpoint: str, key: str) -> int:
    digest = hashlib.sha256(f"{user_id}\x00{endpoint}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class IdempotencyStore:
    def __init__(self, session: AsyncSession, ttl: timedelta) -> None:
        self.session = session
        self.ttl = ttl

    async def claim(
        self, user_id: uuid.UUID, endpoint: str, key: str, fingerprint: bytes, now: datetime
    ) -> StoredResponse | None:
        """The stored answer to replay, or None when this request should run (key now held)."""
        lock = select(func.pg_try_advisory_xact_lock(_lock_id(user_id, endpoint, key)))
        if not (await self.session.execute(lock)).scalar_one():
            raise IdempotencyInProgress()
        row = await self.session.get(IdempotencyKey, (user_id, endpoint, key))
        if row is None:
            return None
        if row.expires_at <= now:
            await self.session.delete(row)
            await self.session.flush()
            return None
        if row.request_hash != fingerprint:
            raise IdempotencyMismatch(
                fields=[FieldProblem("Idempotency-Key", "was used with another body")]
            )
        return StoredResponse(row.response_status, row.response_body)

    async def record(
        self,
        user_id: uuid.UUID,
        endpoint: str,
        key: str,
        fingerprint: bytes,
        response: StoredResponse,
        now: datetime,
    ) -> None:
        self.session.add(
            IdempotencyKey(
                user_id=user_id,
                endpoint=endpoint,
                key=key,
                request_hash=fingerprint,
                response_status=response.status,
                response_body=response.body,
                created_at=now,
                expires_at=now + self.ttl,
            )
        )
        await self.session.flush()

    async def purge_expired(self, now: datetime) -> None:
        await self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
