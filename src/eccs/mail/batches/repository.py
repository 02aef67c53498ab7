"""All SQL about batches (the table: mail/models.py); their emails are in `emails`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eccs.platform.db import Connection

_SUMMARY = "SELECT id, created_at, size, accepted, size - accepted AS rejected FROM email_batches"


class BatchRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def add(
        self,
        batch_id: uuid.UUID,
        user_id: uuid.UUID,
        size: int,
        accepted: int,
        results: list[dict[str, Any]],
        now: datetime,
    ) -> None:
        await self.connection.execute(
            "INSERT INTO email_batches (id, user_id, size, accepted, results, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            batch_id,
            user_id,
            size,
            accepted,
            results,
            now,
        )

    async def page(self, user_id: uuid.UUID, offset: int, limit: int) -> tuple[int, list[Any]]:
        rows = await self.connection.fetch(
            f"{_SUMMARY} WHERE user_id = $1 ORDER BY created_at DESC, id OFFSET $2 LIMIT $3",
            user_id,
            offset,
            limit,
        )
        total = await self.connection.fetchval(
            "SELECT count(*) FROM email_batches WHERE user_id = $1", user_id
        )
        return int(total), rows

    async def get(self, user_id: uuid.UUID, batch_id: uuid.UUID) -> Any:
        return await self.connection.fetchrow(
            "SELECT id, created_at, size, accepted, size - accepted AS rejected, results"
            " FROM email_batches WHERE id = $1 AND user_id = $2",
            batch_id,
            user_id,
        )

    async def statuses(self, user_id: uuid.UUID, batch_id: uuid.UUID) -> dict[str, int]:
        rows = await self.connection.fetch(
            "SELECT status, count(*) AS n FROM emails WHERE user_id = $1 AND batch_id = $2"
            " GROUP BY status",
            user_id,
            batch_id,
        )
        return {row["status"]: int(row["n"]) for row in rows}
