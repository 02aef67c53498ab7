"""All SQL of the notification worker: claiming an attempt, reading the email, recording outcomes.

The worker shares the email tables with email-service but writes only the delivery state
(ARCHITECTURE.md), so it speaks plain SQL against them rather than importing mail's models.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.delivery.composing import Attachment


@dataclass(frozen=True)
class RecipientRow:
    id: int
    kind: str
    address: str
    status: str


@dataclass(frozen=True)
class ClaimedEmail:
    """An email whose attempt this worker now owns (status `sending`)."""

    id: uuid.UUID
    attempt: int
    attempt_base: int
    sender_name: str
    sender_email: str
    subject: str
    text: str | None
    html: str | None
    expires_at: datetime | None
    created_at: datetime
    recipients: list[RecipientRow]
    attachments: list[Attachment]

    @property
    def attempts_used(self) -> int:
        """Attempts spent from the current budget (an owner retry or replay starts a new one)."""
        return self.attempt - self.attempt_base

    def pending(self) -> list[RecipientRow]:
        return [r for r in self.recipients if r.status == "pending"]

    def addresses(self, kind: str) -> list[str]:
        return [r.address for r in self.recipients if r.kind == kind]


@dataclass(frozen=True)
class RecipientUpdate:
    id: int
    status: str
    code: int | None
    reply: str | None


_CLAIM = text(
    """
    UPDATE emails SET status = 'sending', attempts = :attempt, updated_at = now()
    WHERE id = :id AND status IN ('queued', 'scheduled', 'retrying') AND attempts = :attempt - 1
    RETURNING attempt_base, sender_name, sender_email, subject, text_body, html_body,
              expires_at, created_at
    """
)
_RECIPIENTS = text(
    "SELECT id, kind, address, status FROM email_recipients WHERE email_id = :id ORDER BY position"
)
_ATTACHMENTS = text(
    "SELECT filename, content_type, content FROM email_attachments"
    " WHERE email_id = :id ORDER BY position"
)
_UPDATE_RECIPIENT = text(
    """
    UPDATE email_recipients
    SET status = :status, attempts = attempts + 1, smtp_code = :code, smtp_reply = :reply,
        updated_at = now()
    WHERE id = :rid AND status = 'pending'
    """
)
_ABANDON_PENDING = text(
    "UPDATE email_recipients SET status = 'abandoned', updated_at = now()"
    " WHERE email_id = :id AND status = 'pending'"
)
_ANY_ACCEPTED = text(
    "SELECT exists(SELECT 1 FROM email_recipients WHERE email_id = :id AND status = 'accepted')"
)
_LOCK_ATTEMPT = text(
    "SELECT 1 FROM emails WHERE id = :id AND status = 'sending' AND attempts = :attempt FOR UPDATE"
)
_FAIL_UNFINISHED = text(
    """
    UPDATE emails SET status = 'failed', failure_reason = :reason, last_error = :detail,
        failed_at = now(), updated_at = now()
    WHERE id = :id AND status NOT IN ('sent', 'failed', 'cancelled')
    RETURNING id
    """
)
_INSERT_OUTBOX = text(
    """
    INSERT INTO outbox (email_id, topic, key, payload, headers, available_at)
    VALUES (:email_id, :topic, :key, :payload, :headers, :available_at)
    """
).bindparams(bindparam("payload", type_=JSONB), bindparam("headers", type_=JSONB))


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, email_id: uuid.UUID, attempt: int) -> ClaimedEmail | None:
        """Take attempt `attempt` of an email, or None when that attempt is not due.

        Only an email waiting for delivery whose latest attempt is the one before can be
        claimed, so a redelivered message, a cancelled email or an attempt already finished is
        skipped. `scheduled` and `retrying` count as waiting: the relay moves them to `queued`
        only after the broker has the message, and the message may be read before that.
        """
        params = {"id": email_id, "attempt": attempt}
        row = (await self.session.execute(_CLAIM, params)).one_or_none()
        if row is None:
            return None
        recipients = (await self.session.execute(_RECIPIENTS, {"id": email_id})).all()
        attachments = (await self.session.execute(_ATTACHMENTS, {"id": email_id})).all()
        return ClaimedEmail(
            id=email_id,
            attempt=attempt,
            attempt_base=row.attempt_base,
            sender_name=row.sender_name,
            sender_email=row.sender_email,
            subject=row.subject,
            text=row.text_body,
            html=row.html_body,
            expires_at=row.expires_at,
            created_at=row.created_at,
            recipients=[RecipientRow(r.id, r.kind, r.address, r.status) for r in recipients],
            attachments=[Attachment(a.filename, a.content_type, a.content) for a in attachments],
        )

    async def still_owned(self, email_id: uuid.UUID, attempt: int) -> bool:
        """Whether attempt `attempt` is still this worker's to record, the email locked if so.

        It is not when an operator abandoned the email meanwhile, or when the visibility sweep
        gave it to another attempt after this one overran: only the recipients' answers are
        recorded then (they are what the relay said), never a status or a retry.
        """
        row = await self.session.execute(_LOCK_ATTEMPT, {"id": email_id, "attempt": attempt})
        return row.first() is not None

    async def fail_unfinished(self, email_id: uuid.UUID, reason: str, detail: str) -> bool:
        """Close an email that could not be handled as `failed` (unless it is final already).

        For an error outside any attempt's normal course; returns whether the email was closed.
        """
        row = await self.session.execute(
            _FAIL_UNFINISHED, {"id": email_id, "reason": reason, "detail": detail}
        )
        if row.first() is None:
            return False
        await self.session.execute(_ABANDON_PENDING, {"id": email_id})
        return True

    async def record_answers(self, updates: Sequence[RecipientUpdate]) -> None:
        if updates:
            await self.session.execute(
                _UPDATE_RECIPIENT,
                [
                    {"rid": u.id, "status": u.status, "code": u.code, "reply": u.reply}
                    for u in updates
                ],
            )

    async def schedule_retry(self, email_id: uuid.UUID, last_error: str | None) -> None:
        await self._set_status(email_id, "retrying", last_error=last_error)

    async def finish(self, email_id: uuid.UUID, last_error: str | None, failure_reason: str) -> str:
        """Close the email: `sent` if anyone accepted it, else `failed`. Returns the status."""
        await self.session.execute(_ABANDON_PENDING, {"id": email_id})
        accepted = (await self.session.execute(_ANY_ACCEPTED, {"id": email_id})).scalar_one()
        if accepted:
            await self._set_status(email_id, "sent", last_error=last_error)
            return "sent"
        await self._set_status(
            email_id, "failed", last_error=last_error, failure_reason=failure_reason
        )
        return "failed"

    async def _set_status(
        self,
        email_id: uuid.UUID,
        status: str,
        *,
        last_error: str | None,
        failure_reason: str | None = None,
    ) -> None:
        await self.session.execute(
            text(
                """
                UPDATE emails SET status = :status, last_error = :last_error,
                    failure_reason = :reason, updated_at = now(),
                    sent_at = CASE WHEN :is_sent THEN now() ELSE sent_at END,
                    failed_at = CASE WHEN :is_failed THEN now() ELSE NULL END
                WHERE id = :id
                """
            ),
            {
                "id": email_id,
                "status": status,
                "last_error": last_error,
                "reason": failure_reason,
                "is_sent": status == "sent",
                "is_failed": status == "failed",
            },
        )

    async def add_outbox(
        self,
        email_id: uuid.UUID,
        topic: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        available_at: datetime,
    ) -> None:
        await self.session.execute(
            _INSERT_OUTBOX,
            {
                "email_id": email_id,
                "topic": topic,
                "key": str(email_id),
                "payload": payload,
                "headers": headers,
                "available_at": available_at,
            },
        )
