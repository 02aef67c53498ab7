"""The audit store in PostgreSQL's `audit_events` table, used when no MongoDB is configured.

The table and its indexes come from the migrations. Each call runs in a short transaction of its
own, so recording the audit trail never holds or depends on the caller's unit of work.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from eccs.audit.events import (
    EVENT_FIELDS,
    PERSONAL_FIELDS,
    AuditEvent,
    check_limit,
    purge_cutoff,
    values_of,
)
from eccs.platform.db import Database

PING_TIMEOUT_SECONDS = 2.0
_COLUMNS = ", ".join(EVENT_FIELDS)
# The column type of each field: the events go in as one array per field.
_TYPES = {
    "email_id": "uuid",
    "attempt": "int",
    "outcome": "text",
    "at": "timestamptz",
    "recipient": "text",
    "smtp_code": "smallint",
    "smtp_reply": "text",
    "latency_ms": "float8",
    "worker": "text",
    "detail": "text",
}
_INSERT = (
    f"INSERT INTO audit_events ({_COLUMNS}) SELECT * FROM unnest("
    + ", ".join(f"${n}::{_TYPES[field]}[]" for n, field in enumerate(EVENT_FIELDS, start=1))
    + ")"
)


_ANONYMISE = (
    f"UPDATE audit_events SET {', '.join(f'{name} = NULL' for name in PERSONAL_FIELDS)}"
    " WHERE email_id = ANY($1::uuid[])"
)


class PostgresAuditStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def expires_by_itself(self) -> bool:
        return False  # PostgreSQL has no TTL: the retention job deletes old events

    async def prepare(self) -> None:
        """Nothing to do: the migrations create the table and its indexes."""

    async def record(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        # One statement, however many events: it commits by itself, in one round trip.
        rows = [values_of(event) for event in events]
        async with self._database.connection() as connection:
            await connection.execute(_INSERT, *(list(column) for column in zip(*rows, strict=True)))

    async def timeline(self, email_id: uuid.UUID, limit: int = 1000) -> list[AuditEvent]:
        check_limit(limit)
        async with self._database.connection() as connection:
            # id follows insertion order, so it breaks ties in time
            rows = await connection.fetch(
                f"SELECT {_COLUMNS} FROM audit_events WHERE email_id = $1 ORDER BY at, id LIMIT $2",
                email_id,
                limit,
            )
        return [AuditEvent(**row) for row in rows]

    async def purge(self, before: datetime) -> int:
        async with self._database.connection() as connection:
            deleted = await connection.execute(
                "DELETE FROM audit_events WHERE at < $1", purge_cutoff(before)
            )
        return int(deleted.split()[-1])

    async def anonymise(self, email_ids: Sequence[uuid.UUID]) -> int:
        if not email_ids:
            return 0
        async with self._database.connection() as connection:
            changed = await connection.execute(_ANONYMISE, list(email_ids))
        return int(changed.split()[-1])

    async def ping(self) -> bool:
        try:
            await asyncio.wait_for(self._database.ping(), PING_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def close(self) -> None:
        """Nothing to release: the database belongs to the service, which closes it."""
