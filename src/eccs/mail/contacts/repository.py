"""All SQL about contacts (the table: mail/models.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from eccs.mail.contacts.schemas import ContactIn, ContactOut
from eccs.platform.db import Connection, like_prefix

_COLUMNS = "id, email, name, created_at, updated_at"


class AddressTaken(Exception):
    """The user has another contact with this address (in any letter case)."""


class ContactRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def get(self, user_id: uuid.UUID, contact_id: uuid.UUID) -> ContactOut | None:
        row = await self.connection.fetchrow(
            f"SELECT {_COLUMNS} FROM contacts WHERE id = $1 AND user_id = $2", contact_id, user_id
        )
        return ContactOut(**row) if row else None

    async def add(self, user_id: uuid.UUID, data: ContactIn, now: datetime) -> ContactOut:
        row = await self._written(
            f"INSERT INTO contacts (id, user_id, email, name, created_at, updated_at)"
            f" VALUES ($1, $2, $3, $4, $5, $5) RETURNING {_COLUMNS}",
            uuid.uuid4(),
            user_id,
            data.email,
            data.name,
            now,
        )
        assert row is not None
        return row

    async def update(
        self, user_id: uuid.UUID, contact_id: uuid.UUID, data: ContactIn, now: datetime
    ) -> ContactOut | None:
        return await self._written(
            f"UPDATE contacts SET email = $3, name = $4, updated_at = $5"
            f" WHERE id = $1 AND user_id = $2 RETURNING {_COLUMNS}",
            contact_id,
            user_id,
            data.email,
            data.name,
            now,
        )

    async def _written(self, statement: str, *arguments: object) -> ContactOut | None:
        try:
            row = await self.connection.fetchrow(statement, *arguments)
        except asyncpg.UniqueViolationError as exc:  # the unique index on lower(email) decides
            raise AddressTaken() from exc
        return ContactOut(**row) if row else None

    async def delete(self, user_id: uuid.UUID, contact_id: uuid.UUID) -> bool:
        deleted = await self.connection.fetchval(
            "DELETE FROM contacts WHERE id = $1 AND user_id = $2 RETURNING true",
            contact_id,
            user_id,
        )
        return bool(deleted)

    async def page(
        self, user_id: uuid.UUID, prefix: str | None, offset: int, limit: int
    ) -> tuple[int, list[ContactOut]]:
        """Contacts whose address or name starts with a prefix (for autocomplete), by address."""
        pattern = like_prefix(prefix)
        where = "user_id = $1 AND ($2::text IS NULL OR lower(email) LIKE $2 OR lower(name) LIKE $2)"
        total = await self.connection.fetchval(
            f"SELECT count(*) FROM contacts WHERE {where}", user_id, pattern
        )
        rows = await self.connection.fetch(
            f"SELECT {_COLUMNS} FROM contacts WHERE {where}"
            " ORDER BY lower(email) OFFSET $3 LIMIT $4",
            user_id,
            pattern,
            offset,
            limit,
        )
        return int(total), [ContactOut(**row) for row in rows]
