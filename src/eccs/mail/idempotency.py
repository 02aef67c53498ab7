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

from eccs.mail.errors import IdempotencyInProgress, IdempotencyMismatch
from eccs.platform.db import Connection
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
    def __init__(self, connection: Connection, ttl: timedelta) -> None:
        self.connection = connection
        self.ttl = ttl

    async def claim(
        self, user_id: uuid.UUID, endpoint: str, key: str, fingerprint: bytes, now: datetime
    ) -> StoredResponse | None:
        """The stored answer to replay, or None when this request should run (key now held).

        Call it in the transaction that does the work: the lock is held until it ends."""
        locked = await self.connection.fetchval(
            "SELECT pg_try_advisory_xact_lock($1)", _lock_id(user_id, endpoint, key)
        )
        if not locked:
            raise IdempotencyInProgress()
        row = await self.connection.fetchrow(
            "SELECT request_hash, response_status, response_body, expires_at"
            " FROM idempotency_keys WHERE user_id = $1 AND endpoint = $2 AND key = $3",
            user_id,
            endpoint,
            key,
        )
        if row is None:
            return None
        if row["expires_at"] <= now:
            await self.connection.execute(
                "DELETE FROM idempotency_keys WHERE user_id = $1 AND endpoint = $2 AND key = $3",
                user_id,
                endpoint,
                key,
            )
            return None
        if row["request_hash"] != fingerprint:
            raise IdempotencyMismatch(
                fields=[FieldProblem("Idempotency-Key", "was used with another body")]
            )
        return StoredResponse(row["response_status"], row["response_body"])

    async def record(
        self,
        user_id: uuid.UUID,
        endpoint: str,
        key: str,
        fingerprint: bytes,
        response: StoredResponse,
        now: datetime,
    ) -> None:
        await self.connection.execute(
            "INSERT INTO idempotency_keys (user_id, endpoint, key, request_hash, response_status,"
            " response_body, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            user_id,
            endpoint,
            key,
            fingerprint,
            response.status,
            response.body,
            now,
            now + self.ttl,
        )

    async def purge_expired(self, now: datetime) -> None:
        await self.connection.execute("DELETE FROM idempotency_keys WHERE expires_at <= $1", now)
