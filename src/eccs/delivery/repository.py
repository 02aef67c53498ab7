"""All SQL of the notification worker: claiming an attempt, reading the email, recording outcomes.

The worker shares the email tables with email-service (contracts/tables.py) and writes only the
delivery state: status, attempts, each recipient's answer, and the outbox rows of retries and
dead letters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from eccs.contracts import outbox
from eccs.contracts.lifecycle import (
    CLAIMABLE,
    FINAL,
    EmailStatus,
    FailureReason,
    RecipientKind,
    RecipientStatus,
)
from eccs.contracts.outbox import OutboxRow
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
    # Whether a recipient accepted it in an earlier attempt (then it closes as `sent`).
    accepted_before: bool

    @property
    def attempts_used(self) -> int:
        """Attempts spent from the current budget (an owner retry or replay starts a new one)."""
        return self.attempt - self.attempt_base


@dataclass(frozen=True)
class RecipientChange:
    """One recipient's new state after an attempt. `closing` marks a recipient given up on
    because the email closes: written only while the attempt is still this worker's."""

    id: int
    status: RecipientStatus
    code: int | None
    reply: str | None
    answered: bool
    closing: bool = False


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt leaves in the database: the email's state, each recipient's, and the
    outbox row it leads to (the next attempt, or the dead letter)."""

    status: EmailStatus
    reason: FailureReason | None
    last_error: str | None
    recipients: list[RecipientChange]
    request: OutboxRow | None


# The attempt's email, its recipients and attachments, in one round trip.
_CLAIM = """
WITH claimed AS (
    UPDATE emails SET status = $3, attempts = $2, updated_at = now()
    WHERE id = $1 AND status = ANY($4::text[]) AND attempts = $2 - 1
    RETURNING id, attempt_base, sender_name, sender_email, subject, text_body, html_body,
              expires_at, created_at
)
SELECT c.*,
       (SELECT array_agg((r.id, r.kind, r.address, r.status) ORDER BY r.position)
        FROM email_recipients r WHERE r.email_id = c.id) AS recipients,
       (SELECT array_agg((a.filename, a.content_type, a.content) ORDER BY a.position)
        FROM email_attachments a WHERE a.email_id = c.id) AS attachments
FROM claimed c
"""

# The whole result in one statement: the email's state only while the attempt is still this
# worker's (an operator may have abandoned it, or the visibility sweep given it to another
# attempt); the recipients' answers in any case (they are what the relay said), but not the
# give-ups of a close that did not happen; the outbox row only with the state.
_RECORD = f"""
WITH owned AS (
    UPDATE emails SET status = $3::text, last_error = $4, failure_reason = $5, updated_at = now(),
        sent_at = CASE WHEN $3::text = $6::text THEN now() ELSE sent_at END,
        failed_at = CASE WHEN $3::text = $7::text THEN now() ELSE NULL END
    WHERE id = $1 AND attempts = $2 AND status = $8
    RETURNING id
), recipients AS (
    UPDATE email_recipients r
    SET status = c.status, attempts = r.attempts + c.answered::int,
        smtp_code = coalesce(c.code, r.smtp_code), smtp_reply = coalesce(c.reply, r.smtp_reply),
        updated_at = now()
    FROM unnest($9::bigint[], $10::text[], $11::smallint[], $12::text[], $13::bool[],
                $14::bool[]) AS c(id, status, code, reply, answered, closing)
    WHERE r.id = c.id AND r.status = $15 AND (NOT c.closing OR EXISTS (SELECT FROM owned))
), request AS (
    {outbox.insert_sql(16, only_if="EXISTS (SELECT FROM owned)")}
)
SELECT EXISTS (SELECT FROM owned)
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
        recipients = row["recipients"] or []
        email = OutgoingEmail(
            email_id=email_id,
            sender_name=row["sender_name"],
            sender_email=row["sender_email"],
            subject=row["subject"],
            text=row["text_body"],
            html=row["html_body"],
            to=[address for _, kind, address, _ in recipients if kind == RecipientKind.TO],
            cc=[address for _, kind, address, _ in recipients if kind == RecipientKind.CC],
            bcc=[address for _, kind, address, _ in recipients if kind == RecipientKind.BCC],
            attachments=[Attachment(*attachment) for attachment in row["attachments"] or []],
            created_at=row["created_at"],
        )
        return Claim(
            email,
            attempt,
            row["attempt_base"],
            row["expires_at"],
            pending={a: i for i, _, a, status in recipients if status == RecipientStatus.PENDING},
            accepted_before=any(r[3] == RecipientStatus.ACCEPTED for r in recipients),
        )

    async def record(self, claim: Claim, result: AttemptResult) -> bool:
        """Write an attempt's result; False when the attempt was no longer this worker's (only
        the recipients' answers were recorded then)."""
        changes = result.recipients
        owned = await self.connection.fetchval(
            _RECORD,
            claim.email.email_id,
            claim.attempt,
            result.status,
            result.last_error,
            result.reason,
            EmailStatus.SENT,
            EmailStatus.FAILED,
            EmailStatus.SENDING,
            [change.id for change in changes],
            [change.status for change in changes],
            [change.code for change in changes],
            [change.reply for change in changes],
            [change.answered for change in changes],
            [change.closing for change in changes],
            RecipientStatus.PENDING,
            *outbox.columns([result.request] if result.request else []),
        )
        return bool(owned)

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
            await self.connection.execute(
                "UPDATE email_recipients SET status = $2, updated_at = now()"
                " WHERE email_id = $1 AND status = $3",
                email_id,
                RecipientStatus.ABANDONED,
                RecipientStatus.PENDING,
            )
        return bool(closed)
