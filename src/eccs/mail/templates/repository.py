"""All SQL about templates (the table: mail/models.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from eccs.mail.templates.schemas import TemplateIn, TemplateOut
from eccs.platform.db import Connection, like_prefix

_COLUMNS = "id, name, subject, html, text, created_at, updated_at"


class NameTaken(Exception):
    """The user has another template of this name (in any letter case)."""


class TemplateRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def get(self, user_id: uuid.UUID, template_id: uuid.UUID) -> TemplateOut | None:
        row = await self.connection.fetchrow(
            f"SELECT {_COLUMNS} FROM templates WHERE id = $1 AND user_id = $2",
            template_id,
            user_id,
        )
        return TemplateOut(**row) if row else None

    async def get_many(
        self, user_id: uuid.UUID, template_ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, TemplateOut]:
        """The user's templates among these (a batch's), in one query."""
        rows = await self.connection.fetch(
            f"SELECT {_COLUMNS} FROM templates WHERE id = ANY($1::uuid[]) AND user_id = $2",
            list(template_ids),
            user_id,
        )
        return {row["id"]: TemplateOut(**row) for row in rows}

    async def add(self, user_id: uuid.UUID, data: TemplateIn, now: datetime) -> TemplateOut:
        template = await self._written(
            f"INSERT INTO templates (id, user_id, name, subject, html, text, created_at,"
            f" updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {_COLUMNS}",
            uuid.uuid4(),
            user_id,
            data.name,
            data.subject,
            data.html,
            data.text,
            now,
        )
        assert template is not None
        return template

    async def update(
        self, user_id: uuid.UUID, template_id: uuid.UUID, data: TemplateIn, now: datetime
    ) -> TemplateOut | None:
        return await self._written(
            f"UPDATE templates SET name = $3, subject = $4, html = $5, text = $6, updated_at = $7"
            f" WHERE id = $1 AND user_id = $2 RETURNING {_COLUMNS}",
            template_id,
            user_id,
            data.name,
            data.subject,
            data.html,
            data.text,
            now,
        )

    async def _written(self, statement: str, *arguments: object) -> TemplateOut | None:
        try:
            row = await self.connection.fetchrow(statement, *arguments)
        except asyncpg.UniqueViolationError as exc:  # the unique index on lower(name) decides
            raise NameTaken() from exc
        return TemplateOut(**row) if row else None

    async def delete(self, user_id: uuid.UUID, template_id: uuid.UUID) -> bool:
        deleted = await self.connection.fetchval(
            "DELETE FROM templates WHERE id = $1 AND user_id = $2 RETURNING true",
            template_id,
            user_id,
        )
        return bool(deleted)

    async def page(
        self, user_id: uuid.UUID, q: str | None, offset: int, limit: int
    ) -> tuple[int, list[TemplateOut]]:
        """A user's templates by name, those whose name starts with `q` if given."""
        prefix = like_prefix(q)
        where = "user_id = $1 AND ($2::text IS NULL OR lower(name) LIKE $2)"
        total = await self.connection.fetchval(
            f"SELECT count(*) FROM templates WHERE {where}", user_id, prefix
        )
        rows = await self.connection.fetch(
            f"SELECT {_COLUMNS} FROM templates WHERE {where}"
            " ORDER BY lower(name) OFFSET $3 LIMIT $4",
            user_id,
            prefix,
            offset,
            limit,
        )
        return int(total), [TemplateOut(**row) for row in rows]
