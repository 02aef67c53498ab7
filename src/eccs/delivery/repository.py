"""All SQL of the notification worker: claiming an attempt, reading the email, recording outcomes.

The worker shares the email tables with email-service (contracts/tables.py) and writes only the
delivery state: status, attempts, each recipient's answer, and the outbox rows of retries and
dead letters.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from eccs.contracts.lifecycle import (
    CLAIMABLE,
    FINAL,
    EmailStatus,
    FailureReason,
    RecipientStatus,
)
from eccs.delivery.answers import RecipientAnswer
from eccs.delivery.composing import Attachment, OutgoingEmail
from eccs.platform.db import Connection


@dataclass(frozen=True)
class Claim:
    """An attempt of an email this worker now owns (the email is `sending`)."""

    email: OutgoingEmail
    attempt: int
    attempt_base: int
    expires_at: datetime | None
    # The recipients still without a final answer, with their row ids: this attempt's envelope.
    pending: dict[str, int]

    @property
    def attempts_used(self) -> int:
        """Attempts spent from the current budget (an owner retry or replay starts a new one)."""
        return self.attempt - self.attempt_base


_CLAIM = """
UPDATE emails SET status = $3, attempts = $2, updated_at = now()
WHERE id = $1 AND status = ANY($4::text[]) AND attempts = $2 - 1
RETURNING attempt_base, sender_name, sender_email, subject, text_body, html_body,
          expires_at, created_at
"""
_RECIPIENTS = (
    "SELECT id, kind, address, status FROM email_recipients WHERE email_id = $1 ORDER BY position"
)
_ATTACHMENTS = (
    "SELECT filename, content_type, content FROM email_attachments"
    " WHERE email_id = $1 ORDER BY position"
)
_SET_STATUS = """
UPDATE emails SET status = $2::text, last_error = $3, failure_reason = $4, updated_at = now(),
    sent_at = CASE WHEN $2::text = $5::text THEN now() ELSE sent_at END,
    failed_at = CASE WHEN $2::text = $6::text THEN now() ELSE NULL END
WHERE id = $1
"""


class DeliveryRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def claim(self, email_id: uuid.UUID, attempt: int) -> Claim | None:
        """Take attempt `attempt` of an email, or None when that attempt is not due.

        Only an email waiting for delivery whose latest attempt is the one before can be
        claimed, so a redelivered message, a cancelled email or an attempt already finished is
        skipped. `scheduled` and `retrying` count as waiting: the relay moves them to `queued`
        only after the broker has the message, and the message may be read before that.
        """
        row = await self.connection.fetchrow(
            _CLAIM, email_id, attempt, EmailStatus.SENDING, list(CLAIMABLE)
        )
        if row is None:
            return None
        recipients = await self.connection.fetch(_RECIPIENTS, email_id)
        attachments = await self.connection.fetch(_ATTACHMENTS, email_id)
        email = OutgoingEmail(
            email_id=email_id,
            sender_name=row["sender_name"],
            sender_email=row["sender_email"],
            subject=row["subject"],
            text=row["text_body"],
            html=row["html_body"],
            to=[r["address"] for r in recipients if r["kind"] == "to"],
            cc=[r["address"] for r in recipients if r["kind"] == "cc"],
            bcc=[r["address"] for r in recipients if r["kind"] == "bcc"],
            attachments=[Attachment(*attachment) for attachment in attachments],
            created_at=row["created_at"],
        )
        pending = {
            r["address"]: r["id"] for r in recipients if r["status"] == RecipientStatus.PENDING
        }
        return Claim(email, attempt, row["attempt_base"], row["expires_at"], pending)

    async def still_owned(self, email_id: uuid.UUID, attempt: int) -> bool:
        """Whether attempt `attempt` is still this worker's to record, the email locked if so.

        It is not when an operator abandoned the email meanwhile, or when the visibility sweep
        gave it to another attempt after this one overran: only the recipients' answers are
        recorded then (they are what the relay said), never a status or a retry.
        """
        owned = await self.connection.fetchval(
            "SELECT true FROM emails WHERE id = $1 AND status = $3 AND attempts = $2 FOR UPDATE",
            email_id,
            attempt,
            EmailStatus.SENDING,
        )
        return bool(owned)

    async def record_answers(self, claim: Claim, answers: Sequence[RecipientAnswer]) -> None:
        """Each answered recipient's new state (a deferral leaves it `pending`)."""
        answered = [answer for answer in answers if answer.recipient in claim.pending]
        if not answered:
            return
        await self.connection.execute(
            """
            UPDATE email_recipients r SET status = a.status, attempts = r.attempts + 1,
                smtp_code = a.code, smtp_reply = a.reply, updated_at = now()
            FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[])
                AS a(id, status, code, reply)
            WHERE r.id = a.id AND r.status = $5
            """,
            [claim.pending[answer.recipient] for answer in answered],
            [answer.recipient_status for answer in answered],
            [answer.code for answer in answered],
            [answer.reply for answer in answered],
            RecipientStatus.PENDING,
        )

    async def schedule_retry(self, email_id: uuid.UUID, last_error: str | None) -> None:
        await self._set_status(email_id, EmailStatus.RETRYING, last_error)

    async def finish(
        self, email_id: uuid.UUID, last_error: str | None, reason: FailureReason
    ) -> EmailStatus:
        """Close the email: `sent` if anyone accepted it, else `failed`. Returns the status."""
        await self._abandon_pending(email_id)
        accepted = await self.connection.fetchval(
            "SELECT EXISTS (SELECT FROM email_recipients WHERE email_id = $1 AND status = $2)",
            email_id,
            RecipientStatus.ACCEPTED,
        )
        if accepted:
            await self._set_status(email_id, EmailStatus.SENT, last_error)
            return EmailStatus.SENT
        await self._set_status(email_id, EmailStatus.FAILED, last_error, reason)
        return EmailStatus.FAILED

    async def _set_status(
        self,
        email_id: uuid.UUID,
        status: EmailStatus,
        last_error: str | None,
        reason: FailureReason | None = None,
    ) -> None:
        await self.connection.execute(
            _SET_STATUS,
            email_id,
            status,
            last_error,
            reason,
            EmailStatus.SENT,
            EmailStatus.FAILED,
        )

    async def fail_unfinished(
        self, email_id: uuid.UUID, reason: FailureReason, detail: str
    ) -> bool:
        """Close an email that could not be handled as `failed` (unless it is final already).

        For an error outside any attempt's normal course; returns whether the email was closed.
        """
        closed = await self.connection.fetchval(
            "UPDATE emails SET status = $2, failure_reason = $3, last_error = $4,"
            " failed_at = now(), updated_at = now()"
            " WHERE id = $1 AND NOT status = ANY($5::text[]) RETURNING true",
            email_id,
            EmailStatus.FAILED,
            reason,
            detail,
            list(FINAL),
        )
        if closed:
            await self._abandon_pending(email_id)
        return bool(closed)

    async def _abandon_pending(self, email_id: uuid.UUID) -> None:
        await self.connection.execute(
            "UPDATE email_recipients SET status = $2, updated_at = now()"
            " WHERE email_id = $1 AND status = $3",
            email_id,
            RecipientStatus.ABANDONED,
            RecipientStatus.PENDING,
        )
