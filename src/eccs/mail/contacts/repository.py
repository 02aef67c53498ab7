"""All SQL about contacts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.models import Contact


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID, contact_id: uuid.UUID) -> Contact | None:
        query = select(Contact).where(Contact.id == contact_id, Contact.user_id == user_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add(self, contact: Contact) -> Contact:
        self.session.add(contact)
        await self.session.flush()
        return contact

    async def delete(self, contact: Contact) -> None:
        await self.session.delete(contact)
        await self.session.flush()

    async def page(
        self, user_id: uuid.UUID, prefix: str | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Contact]]:
        """Contacts whose address or name starts with a prefix (for autocomplete), by address."""
        conditions = [Contact.user_id == user_id]
        if prefix:
            lowered = prefix.lower()
            conditions.append(
                or_(
                    func.lower(Contact.email).startswith(lowered, autoescape=True),
                    func.lower(Contact.name).startswith(lowered, autoescape=True),
                )
            )
        total = await self.session.scalar(
            select(func.count()).select_from(Contact).where(*conditions)
        )
        query = (
            select(Contact)
            .where(*conditions)
            .order_by(func.lower(Contact.email))
            .offset(offset)
            .limit(limit)
        )
        return int(total or 0), (await self.session.execute(query)).scalars().all()
