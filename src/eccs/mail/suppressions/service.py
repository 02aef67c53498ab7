"""Suppression lists: each sender's addresses that are never sent to again.

An address gets there when an SMTP server refuses the mailbox for good (the delivery worker
adds it, with the refusal), when its owner unsubscribes with an email's one-click link or
complains about an email (both reported to the sender's webhooks), or when the sender or an
operator puts it there. The sender may take any of them off again. Addresses are kept in lower
case and matched without regard to case.

Endpoints hold a transaction around every call here that writes more than one statement.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from eccs.contracts.lifecycle import EventType, SuppressionReason
from eccs.contracts.webhook_events import EmailEventData, add_events, email_event
from eccs.mail.errors import EmailNotFound
from eccs.mail.suppressions.errors import (
    AlreadySuppressed,
    NotARecipient,
    SuppressionNotFound,
    UnsubscribeLinkNotFound,
)
from eccs.mail.suppressions.repository import NewSuppression, SentTo, SuppressionRepository
from eccs.mail.suppressions.schemas import (
    ListedSuppression,
    ListedSuppressionPage,
    SuppressionIn,
    SuppressionOut,
    SuppressionPage,
    Unsubscribed,
)
from eccs.platform.db import Connection
from eccs.platform.metrics import SUPPRESSIONS_ADDED
from eccs.platform.security import Principal


class SuppressionService:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.suppressions = SuppressionRepository(connection)

    async def page(
        self, user_id: uuid.UUID, q: str | None, reason: str | None, page: int, page_size: int
    ) -> SuppressionPage:
        offset = (page - 1) * page_size
        total, rows = await self.suppressions.page(user_id, q, reason, offset, page_size)
        items = [SuppressionOut(**_fields(row, SuppressionOut)) for row in rows]
        return SuppressionPage(items=items, total=total, page=page, page_size=page_size)

    async def everyone(
        self,
        user_id: uuid.UUID | None,
        q: str | None,
        reason: str | None,
        page: int,
        page_size: int,
    ) -> ListedSuppressionPage:
        """Every sender's suppressions (or one sender's), for operators."""
        offset = (page - 1) * page_size
        total, rows = await self.suppressions.page(user_id, q, reason, offset, page_size)
        items = [ListedSuppression(**dict(row)) for row in rows]
        return ListedSuppressionPage(items=items, total=total, page=page, page_size=page_size)

    async def get(self, user_id: uuid.UUID, address: str) -> SuppressionOut:
        row = await self.suppressions.get(user_id, address)
        if row is None:
            raise SuppressionNotFound()
        return SuppressionOut(**_fields(row, SuppressionOut))

    async def add(
        self, user_id: uuid.UUID, sender_email: str, body: SuppressionIn
    ) -> SuppressionOut:
        new = NewSuppression(
            user_id, body.address, SuppressionReason.MANUAL, sender_email, detail=body.detail
        )
        row = await self.suppressions.add(new, _now())
        if row is None:
            raise AlreadySuppressed()
        SUPPRESSIONS_ADDED.labels(SuppressionReason.MANUAL).inc()
        return SuppressionOut(**dict(row))

    async def remove(self, user_id: uuid.UUID, address: str) -> None:
        if not await self.suppressions.remove(user_id, address):
            raise SuppressionNotFound()

    async def unsubscribe(self, token: str) -> Unsubscribed:
        """A recipient used an email's one-click link: on its sender's list from now on, and
        `email.unsubscribed` for the sender's webhooks (once: a second click changes nothing)."""
        sent = await self.suppressions.unsubscribing(token)
        if sent is None:
            raise UnsubscribeLinkNotFound()
        if await self._suppress(sent, SuppressionReason.UNSUBSCRIBED) is not None:
            await self._announce(EventType.UNSUBSCRIBED, sent)
        return Unsubscribed(address=sent.address, sender=sent.sender_name)

    async def complaint(
        self, user: Principal, email_id: uuid.UUID, recipient: str, detail: str | None
    ) -> SuppressionOut:
        """A recipient of one of the sender's emails complained: on the list (unless it was
        there already), and `email.complained` for the webhooks, each time it is reported."""
        recipients = await self.suppressions.recipients(user.id, email_id)
        if not recipients:
            raise EmailNotFound()
        sent = next((r for r in recipients if r.address.lower() == recipient.lower()), None)
        if sent is None:
            raise NotARecipient()
        await self._suppress(sent, SuppressionReason.COMPLAINT, detail)
        await self._announce(EventType.COMPLAINED, sent)
        return await self.get(user.id, sent.address)

    async def _suppress(
        self, sent: SentTo, reason: SuppressionReason, detail: str | None = None
    ) -> Any:
        new = NewSuppression(
            sent.user_id, sent.address, reason, sent.sender_email, sent.email_id, detail
        )
        row = await self.suppressions.add(new, _now())
        if row is not None:
            SUPPRESSIONS_ADDED.labels(reason).inc()
        return row

    async def _announce(self, event_type: EventType, sent: SentTo) -> None:
        data = EmailEventData(
            email_id=sent.email_id,
            subject=sent.subject,
            recipient=sent.address,
            recipient_kind=sent.kind,
        )
        await add_events(self.connection, [email_event(event_type, sent.user_id, _now(), data)])


def _now() -> datetime:
    return datetime.now(UTC)


def _fields(row: Any, model: type[SuppressionOut]) -> dict[str, Any]:
    return {name: row[name] for name in model.model_fields}
