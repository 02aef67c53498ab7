"""All SQL about templates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.models import Template


class TemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID, template_id: uuid.UUID) -> Template | None:
        query = select(Template).where(Template.id == template_id, Template.user_id == user_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add(self, template: Template) -> Template:
        self.session.add(template)
        await self.session.flush()
        return template

    async def delete(self, template: Template) -> None:
        await self.session.delete(template)
        await self.session.flush()

    async def page(
        self, user_id: uuid.UUID, q: str | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Template]]:
        conditions = [Template.user_id == user_id]
        if q:
            conditions.append(func.lower(Template.name).startswith(q.lower(), autoescape=True))
        total = await self.session.scalar(
            select(func.count()).select_from(Template).where(*conditions)
        )
        query = (
            select(Template)
            .where(*conditions)
            .order_by(func.lower(Template.name))
            .offset(offset)
            .limit(limit)
        )
        return int(total or 0), (await self.session.execute(query)).scalars().all()
