"""Contacts: each user's address book, unique by address regardless of case."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.contacts.repository import ContactRepository
from eccs.mail.contacts.schemas import ContactIn
from eccs.mail.models import Contact
from eccs.platform.errors import Conflict, FieldProblem, NotFound


class ContactNotFound(NotFound):
    code = "contact_not_found"
    default_message = "No such contact."


class ContactExists(Conflict):
    code = "contact_exists"
    default_message = "You already have a contact with this address."

    def __init__(self) -> None:
        super().__init__(fields=[FieldProblem("email", "is already in your contacts")])


class ContactService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.contacts = ContactRepository(session)

    async def create(self, user_id: uuid.UUID, data: ContactIn) -> Contact:
        contact = Contact(user_id=user_id, email=data.email, name=data.name)
        return await self._save(contact, lambda: self.contacts.add(contact))

    async def update(self, user_id: uuid.UUID, contact_id: uuid.UUID, data: ContactIn) -> Contact:
        contact = await self.get(user_id, contact_id)
        contact.email, contact.name = data.email, data.name
        contact.updated_at = datetime.now(UTC)
        return await self._save(contact, self.session.flush)

    async def _save(self, contact: Contact, write: Callable[[], Awaitable[object]]) -> Contact:
        try:
            async with self.session.begin_nested():
                await write()
        except IntegrityError as exc:  # the unique index on (user, lower(email)) decides
            raise ContactExists() from exc
        return contact

    async def get(self, user_id: uuid.UUID, contact_id: uuid.UUID) -> Contact:
        contact = await self.contacts.get(user_id, contact_id)
        if contact is None:
            raise ContactNotFound()
        return contact

    async def delete(self, user_id: uuid.UUID, contact_id: uuid.UUID) -> None:
        await self.contacts.delete(await self.get(user_id, contact_id))
