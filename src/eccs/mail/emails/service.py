"""One email's life after it was accepted: reading it, and what its owner and operators may do
to it (cancel, retry, abandon). Each step that is not a delivery attempt goes into its timeline.

Endpoints hold a transaction around every call here that writes more than one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from eccs.audit.events import AuditEvent, AuditStore
from eccs.contracts import outbox
from eccs.contracts.account_mail import ACCOUNT_MAIL_SENDER
from eccs.contracts.lifecycle import CANCELLABLE, FINAL, EmailStatus
from eccs.contracts.messages import RequestReason
from eccs.mail.emails.repository import EmailRepository
from eccs.mail.emails.schemas import (
    ApiKeyRef,
    AttachmentOut,
    EmailOut,
    RecipientOut,
    TimelineEntry,
)
from eccs.mail.errors import EmailNotFound, NothingToRetry, WrongEmailState
from eccs.platform.db import Connection
from eccs.platform.errors import FieldProblem
from eccs.platform.metrics import EMAILS_REQUEUED
from eccs.platform.security import Principal
from eccs.platform.telemetry import current_traceparent

log = structlog.get_logger("eccs.mail")


def utcnow() -> datetime:
    return datetime.now(UTC)


class EmailService:
    def __init__(self, connection: Connection, audit: AuditStore | None = None) -> None:
        self.connection = connection
        self.emails = EmailRepository(connection)
        self.audit = audit

    async def read(self, user: Principal | None, email_id: uuid.UUID) -> EmailOut:
        """A user's own email, or any email for an operator (`user` None)."""
        email = await self.emails.get(email_id, user.id if user else None)
        if email is None:
            raise EmailNotFound()
        return await self._answer(email)

    async def cancel(self, user: Principal, email_id: uuid.UUID) -> EmailOut:
        now = utcnow()
        if not await self.emails.change_status(
            user.id, email_id, CANCELLABLE, EmailStatus.CANCELLED, now
        ):
            status = await self._status(user, email_id)
            raise WrongEmailState(
                f"Only scheduled or retrying emails can be cancelled; this one is {status}.",
                fields=[FieldProblem("status", status)],
            )
        await self.emails.drop_pending_outbox([email_id])
        return await self._noted(email_id, "cancelled", "cancelled by its sender")

    async def retry(self, user: Principal, email_id: uuid.UUID) -> EmailOut:
        """Queue a failed email again with a fresh attempt budget."""
        locked = await self.emails.lock(email_id, user.id)
        if locked is None:
            raise EmailNotFound()
        if locked["status"] != EmailStatus.FAILED:
            raise WrongEmailState(
                f"Only failed emails can be retried; this one is {locked['status']}.",
                fields=[FieldProblem("status", locked["status"])],
            )
        if not await requeue_failed(self.emails, [email_id], "owner_retry", utcnow()):
            raise NothingToRetry()
        return await self._noted(email_id, "retry_requested", "retried by its sender")

    async def abandon(self, email_id: uuid.UUID, actor: str) -> EmailOut:
        """An operator stops any user's email that is not final yet, whatever its state:
        nothing more is sent (a worker in the middle of an attempt records only its answers)."""
        locked = await self.emails.lock(email_id)
        if locked is None:
            raise EmailNotFound()
        status = locked["status"]
        if status in FINAL:
            raise WrongEmailState(
                f"This email is {status} already; there is nothing left to stop.",
                fields=[FieldProblem("status", status)],
            )
        await self.emails.stop(email_id, EmailStatus.CANCELLED, utcnow())
        log.info("email_abandoned", email_id=str(email_id), actor=actor, was=status)
        return await self._noted(email_id, "abandoned", f"stopped by an operator ({actor})")

    async def _status(self, user: Principal, email_id: uuid.UUID) -> str:
        email = await self.emails.get(email_id, user.id)
        if email is None:
            raise EmailNotFound()
        return str(email["status"])

    async def _noted(self, email_id: uuid.UUID, outcome: str, detail: str) -> EmailOut:
        """The email after a step that is not a delivery attempt, with that step in its
        timeline.

        The step is written before the request's commit: should that fail, the timeline shows
        a step that did not happen, the lesser harm than a step that happened and is missing.
        """
        email = await self.emails.get(email_id)
        assert email is not None
        if self.audit is not None:
            event = AuditEvent(email_id, email["attempts"], outcome, utcnow(), detail=detail)
            try:
                await self.audit.record([event])
            except Exception as exc:  # any store failure; the change itself stands
                log.warning("timeline_not_written", email_id=str(email_id), error=repr(exc))
        return await self._answer(email)

    async def _answer(self, email: Any) -> EmailOut:
        """The email as `GET /api/emails/{id}` shows it, timeline included."""
        recipients = await self.emails.recipients(email["id"])
        attachments = await self.emails.attachments(email["id"])
        return EmailOut(
            id=email["id"],
            subject=email["subject"],
            status=email["status"],
            text=email["text_body"],
            html=email["html_body"],
            template_id=email["template_id"],
            attempts=email["attempts"],
            last_error=email["last_error"],
            created_at=email["created_at"],
            updated_at=email["updated_at"],
            scheduled_at=email["scheduled_at"],
            expires_at=email["expires_at"],
            sent_at=email["sent_at"],
            api_key=_key_of(email),
            recipients=[RecipientOut(**recipient) for recipient in recipients],
            attachments=[AttachmentOut(**attachment) for attachment in attachments],
            timeline=[_submitted(email), *await self._timeline(email["id"])],
            reply_to=email["reply_to"],
            headers=dict(email["headers"] or []),
            batch_id=email["batch_id"],
        )

    async def _timeline(self, email_id: uuid.UUID) -> list[TimelineEntry]:
        """Every delivery step from the audit trail, oldest first.

        The trail is a separate store: when it cannot be read, the email is still answered,
        with an empty timeline, rather than failing the whole request.
        """
        if self.audit is None:
            return []
        try:
            events = await self.audit.timeline(email_id)
        except Exception as exc:  # any store failure; the email itself is still readable
            log.warning("timeline_unavailable", email_id=str(email_id), error=repr(exc))
            return []
        return [
            TimelineEntry(
                attempt=event.attempt,
                recipient=event.recipient,
                outcome=event.outcome,
                at=event.at,
                smtp_code=event.smtp_code,
                smtp_reply=event.smtp_reply,
                detail=event.detail,
            )
            for event in events
        ]


def _key_of(email: Any) -> ApiKeyRef | None:
    if email["api_key_id"] is None:
        return None
    return ApiKeyRef(id=email["api_key_id"], name=email["api_key_name"])


def _submitted(email: Any) -> TimelineEntry:
    """The first step of every email: who handed it in, and how."""
    if email["api_key_id"] is not None:
        how = f'with the API key "{email["api_key_name"]}"'
    elif email["user_id"] == ACCOUNT_MAIL_SENDER:
        how = "by ECCS, about an account"
    else:
        how = "by its sender, signed in"
    return TimelineEntry(attempt=0, outcome="submitted", at=email["created_at"], detail=how)


async def requeue_failed(
    emails: EmailRepository,
    email_ids: Sequence[uuid.UUID],
    reason: RequestReason,
    now: datetime,
    per_second: float | None = None,
) -> list[uuid.UUID]:
    """Give failed emails a fresh attempt budget and one delivery request each, in the order
    given; answers the ids re-queued (those still failed). Callers lock the rows first.

    With `per_second`, the i-th request is due i / per_second seconds from now, so a large
    replay reaches the workers (and the SMTP relay) as a trickle rather than all at once.
    """
    latest = await emails.reopen_failed(email_ids, now)
    requeued = [email_id for email_id in email_ids if email_id in latest]
    if not requeued:
        return []
    # Only recipients given up on are tried again; refusals (5xx) are final.
    await emails.reopen_recipients(requeued, now)
    # A request left over from before the failure must not compete with the new attempt.
    await emails.drop_pending_outbox(requeued)
    await outbox.add_to_outbox(
        emails.connection,
        [
            outbox.delivery_request(
                email_id,
                reason,
                latest[email_id] + 1,
                now,
                due=now + timedelta(seconds=i / per_second) if per_second else now,
                traceparent=current_traceparent(),
            )
            for i, email_id in enumerate(requeued)
        ],
    )
    EMAILS_REQUEUED.labels(reason).inc(len(requeued))
    return requeued
