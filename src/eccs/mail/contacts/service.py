"""Contacts: each user's address book, unique by address regardless of case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from eccs.mail.contacts.repository import AddressTaken, ContactRepository
from eccs.mail.contacts.schemas import ContactIn, ContactOut, ContactPage
from eccs.platform.db import Connection
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
    def __init__(self, connection: Connection) -> None:
        self.contacts = ContactRepository(connection)

    async def create(self, user_id: uuid.UUID, data: ContactIn) -> ContactOut:
        try:
            return await self.contacts.add(user_id, data, datetime.now(UTC))
        except AddressTaken as exc:
            raise ContactExists() from exc

    async def update(
        self, user_id: uuid.UUID, contact_id: uuid.UUID, data: ContactIn
    ) -> ContactOut:
        try:
            contact = await self.contacts.update(user_id, contact_id, data, datetime.now(UTC))
        except AddressTaken as exc:
            raise ContactExists() from exc
        if contact is None:
            raise ContactNotFound()
        return contact

    async def get(self, user_id: uuid.UUID, contact_id: uuid.UUID) -> ContactOut:
        contact = await self.contacts.get(user_id, contact_id)
        if contact is None:
            raise ContactNotFound()
        return contact

    async def delete(self, user_id: uuid.UUID, contact_id: uuid.UUID) -> None:
        if not await self.contacts.delete(user_id, contact_id):
            raise ContactNotFound()

    async def page(
        self, user_id: uuid.UUID, prefix: str | None, page: int, page_size: int
    ) -> ContactPage:
        total, items = await self.contacts.page(user_id, prefix, (page - 1) * page_size, page_size)
        return ContactPage(items=items, total=total, page=page, page_size=page_size)
