"""Accepting, reading, cancelling and retrying emails."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.audit.events import AuditEvent, AuditStore
from eccs.contracts.messages import RequestReason, outbox_request
from eccs.mail.emails.repository import EmailRepository
from eccs.mail.emails.schemas import EmailStatus, SendRequest
from eccs.mail.errors import EmailNotFound, NothingToRetry, QuotaExceeded, WrongEmailState
from eccs.mail.models import Email
from eccs.mail.settings import MailSettings
from eccs.mail.templates.rendering import Rendered, render_parts
from eccs.mail.templates.repository import TemplateRepository
from eccs.platform.addresses import check_header_safe
from eccs.platform.errors import FieldProblem, InvalidInput
from eccs.platform.metrics import EMAILS_ACCEPTED, EMAILS_REQUEUED
from eccs.platform.security import Principal
from eccs.platform.telemetry import current_traceparent

QUOTA_WINDOW = timedelta(hours=1)
# A retrying email waits for its next attempt in the outbox, so it can still be withdrawn.
CANCELLABLE = ("scheduled", "retrying")
# Nothing more happens to these by themselves.
FINAL = ("sent", "failed", "cancelled")

log = structlog.get_logger("eccs.mail")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Envelope:
    """Recipients after de-duplication, each with its kind, in the order given."""

    recipients: list[tuple[str, str]]

    @classmethod
    def of(cls, request: SendRequest) -> Envelope:
        seen: set[str] = set()
        recipients = []
        for kind, addresses in (("to", request.to), ("cc", request.cc), ("bcc", request.bcc)):
            for address in addresses:
                if address.lower() not in seen:
                    seen.add(address.lower())
                    recipients.append((kind, address))
        return cls(recipients)


class EmailService:
    def __init__(
        self, session: AsyncSession, settings: MailSettings, audit: AuditStore | None = None
    ) -> None:
        self.settings = settings
        self.emails = EmailRepository(session)
        self.templates = TemplateRepository(session)
        self.audit = audit

    async def accept(self, user: Principal, request: SendRequest) -> dict[str, Any]:
        """Validate, render and store an email with its outbox row; nothing is sent here."""
        now = utcnow()
        envelope = Envelope.of(request)
        self._check_recipient_count(envelope)
        self._check_schedule(request, now)
        content = await self._content(user, request)
        await self._check_quota(user, now)
        email_id = uuid.uuid4()
        due = max(request.scheduled_at or now, now)
        status = "scheduled" if due > now else "queued"
        self._check_expiry(request, due)
        await self.emails.insert(
            _email_row(email_id, user, content, request, status, now),
            [
                _recipient_row(email_id, i, kind, addr)
                for i, (kind, addr) in enumerate(envelope.recipients)
            ],
            [
                _attachment_row(email_id, i, a.filename, a.content_type, a.content())
                for i, a in enumerate(request.attachments)
            ],
            _outbox_row(email_id, "scheduled" if status == "scheduled" else "new", due, now),
        )
        EMAILS_ACCEPTED.labels(str(status == "scheduled").lower()).inc()
        return {
            "id": str(email_id),
            "status": status,
            "created_at": now.isoformat(),
            "scheduled_at": request.scheduled_at.isoformat() if request.scheduled_at else None,
            "expires_at": request.expires_at.isoformat() if request.expires_at else None,
            "recipients": len(envelope.recipients),
        }

    def _check_recipient_count(self, envelope: Envelope) -> None:
        limit = self.settings.max_recipients_per_email
        if len(envelope.recipients) > limit:
            raise InvalidInput.on("to", f"at most {limit} recipients (to, cc and bcc together)")

    def _check_schedule(self, request: SendRequest, now: datetime) -> None:
        days = self.settings.max_schedule_days
        if request.scheduled_at is not None and request.scheduled_at > now + timedelta(days=days):
            raise InvalidInput.on("scheduled_at", f"must be at most {days} days ahead")

    def _check_expiry(self, request: SendRequest, due: datetime) -> None:
        if request.expires_at is not None and request.expires_at <= due:
            raise InvalidInput.on("expires_at", "must be later than now and than scheduled_at")

    async def _check_quota(self, user: Principal, now: datetime) -> None:
        quota = self.settings.send_quota_per_hour
        since = now - QUOTA_WINDOW
        if await self.emails.created_since(user.id, since, quota) < quota:
            return
        # Room frees up when the oldest of the last `quota` emails leaves the window.
        oldest_counted = await self.emails.nth_newest_since(user.id, since, quota)
        wait = (oldest_counted + QUOTA_WINDOW - now).total_seconds() if oldest_counted else 1
        raise QuotaExceeded(
            f"The quota of {quota} emails per hour is used up.", retry_after=math.ceil(wait)
        )

    async def _content(self, user: Principal, request: SendRequest) -> Rendered:
        if request.template_id is None:
            if request.subject is None or not request.subject.strip():
                raise InvalidInput.on("subject", "is required unless template_id is given")
            if request.text is None and request.html is None:
                raise InvalidInput.on("text", "give text, html or template_id")
            return Rendered(request.subject, request.text, request.html)
        template = await self.templates.get(user.id, request.template_id)
        if template is None:
            raise InvalidInput.on("template_id", "no such template")
        rendered = render_parts(
            request.subject or template.subject,
            request.text if request.text is not None else template.text,
            request.html if request.html is not None else template.html,
            request.template_data,
            prefix="",
        )
        try:
            check_header_safe(rendered.subject)
        except ValueError as exc:
            raise InvalidInput.on("subject", f"after rendering, {exc}") from exc
        return rendered

    async def read(self, user: Principal, email_id: uuid.UUID) -> dict[str, Any]:
        return await self._answer(await self._owned(user, email_id))

    async def _answer(self, email: Email) -> dict[str, Any]:
        """The email as `GET /api/emails/{id}` shows it, timeline included."""
        recipients = await self.emails.recipients(email.id)
        attachments = await self.emails.attachments(email.id)
        return {
            **{
                c: getattr(email, c)
                for c in (
                    "id",
                    "subject",
                    "status",
                    "template_id",
                    "attempts",
                    "last_error",
                    "created_at",
                    "updated_at",
                    "scheduled_at",
                    "expires_at",
                    "sent_at",
                )
            },
            "text": email.text_body,
            "html": email.html_body,
            "recipients": recipients,
            "attachments": [a._asdict() for a in attachments],
            "timeline": await self._timeline(email.id),
        }

    async def cancel(self, user: Principal, email_id: uuid.UUID) -> dict[str, Any]:
        now = utcnow()
        if not await self.emails.change_status(user.id, email_id, CANCELLABLE, "cancelled", now):
            email = await self._owned(user, email_id)
            raise WrongEmailState(
                f"Only scheduled or retrying emails can be cancelled; this one is {email.status}.",
                fields=[FieldProblem("status", email.status)],
            )
        await self.emails.drop_pending_outbox(email_id)
        return await self.read(user, email_id)

    async def abandon(self, email_id: uuid.UUID, actor: str) -> dict[str, Any]:
        """An operator stops any user's email that is not final yet, whatever its state:
        nothing more is sent (a worker in the middle of an attempt records only its answers)."""
        locked = await self.emails.lock(email_id)
        if locked is None:
            raise EmailNotFound()
        status, attempts = locked
        if status in FINAL:
            raise WrongEmailState(
                f"This email is {status} already; there is nothing left to stop.",
                fields=[FieldProblem("status", status)],
            )
        await self.emails.stop(email_id, "cancelled", utcnow())
        await self._note(email_id, attempts, "abandoned", f"stopped by an operator ({actor})")
        log.info("email_abandoned", email_id=str(email_id), actor=actor, was=status)
        email = await self.emails.get_any(email_id)
        assert email is not None
        return await self._answer(email)

    async def _note(self, email_id: uuid.UUID, attempt: int, outcome: str, detail: str) -> None:
        """Put a step that is not a delivery attempt into the email's timeline.

        Written before the request's commit: should that fail, the timeline shows a step that
        did not happen, which is the lesser harm than a step that happened and is missing.
        """
        if self.audit is None:
            return
        event = AuditEvent(email_id, attempt, outcome, utcnow(), detail=detail)
        try:
            await self.audit.record([event])
        except Exception as exc:  # any store failure; the change itself stands
            log.warning("timeline_not_written", email_id=str(email_id), error=repr(exc))

    async def retry(self, user: Principal, email_id: uuid.UUID) -> dict[str, Any]:
        """Queue a failed email again with a fresh attempt budget."""
        status = await self.emails.lock_status(user.id, email_id)
        if status is None:
            raise EmailNotFound()
        if status != "failed":
            raise WrongEmailState(
                f"Only failed emails can be retried; this one is {status}.",
                fields=[FieldProblem("status", status)],
            )
        if not await requeue_failed(self.emails, [email_id], "owner_retry", utcnow()):
            raise NothingToRetry()
        return await self.read(user, email_id)

    async def _timeline(self, email_id: uuid.UUID) -> list[dict[str, Any]]:
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
        return [_timeline_entry(event) for event in events]

    async def _owned(self, user: Principal, email_id: uuid.UUID) -> Email:
        email = await self.emails.get(user.id, email_id)
        if email is None:
            raise EmailNotFound()
        return email


def _timeline_entry(event: AuditEvent) -> dict[str, Any]:
    return {
        "attempt": event.attempt,
        "recipient": event.recipient,
        "outcome": event.outcome,
        "at": event.at,
        "smtp_code": event.smtp_code,
        "smtp_reply": event.smtp_reply,
        "detail": event.detail,
    }


def _email_row(
    email_id: uuid.UUID,
    user: Principal,
    content: Rendered,
    request: SendRequest,
    status: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": email_id,
        "user_id": user.id,
        "sender_name": user.name or user.email,
        "sender_email": user.email,
        "subject": content.subject,
        "text_body": content.text,
        "html_body": content.html,
        "template_id": request.template_id,
        "status": status,
        "scheduled_at": request.scheduled_at,
        "expires_at": request.expires_at,
        "created_at": now,
        "updated_at": now,
    }


def _recipient_row(email_id: uuid.UUID, position: int, kind: str, address: str) -> dict[str, Any]:
    return {"email_id": email_id, "position": position, "kind": kind, "address": address}


def _attachment_row(
    email_id: uuid.UUID, position: int, filename: str, content_type: str, content: bytes
) -> dict[str, Any]:
    return {
        "email_id": email_id,
        "position": position,
        "filename": filename,
        "content_type": content_type,
        "size": len(content),
        "content": content,
    }


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
    await emails.drop_pending_outbox(*requeued)
    await emails.add_outbox(
        [
            _outbox_row(
                email_id,
                reason,
                now + timedelta(seconds=i / per_second) if per_second else now,
                now,
                attempt=latest[email_id] + 1,
            )
            for i, email_id in enumerate(requeued)
        ]
    )
    EMAILS_REQUEUED.labels(reason).inc(len(requeued))
    return requeued


def _outbox_row(
    email_id: uuid.UUID,
    reason: RequestReason,
    due: datetime,
    now: datetime,
    attempt: int = 1,
) -> dict[str, Any]:
    # The request's trace continues in the worker that delivers the email.
    return outbox_request(email_id, reason, attempt, now, due, current_traceparent())


class EmailQueries:
    """Lists and statistics over one user's emails."""

    def __init__(self, session: AsyncSession) -> None:
        self.emails = EmailRepository(session)

    async def page(
        self, user: Principal, statuses: Sequence[str], q: str | None, page: int, page_size: int
    ) -> dict[str, Any]:
        offset = (page - 1) * page_size
        total, rows = await self.emails.page(user.id, statuses, q, offset, page_size)
        return {
            "items": [row._asdict() for row in rows],
            "total": total,
            "page": page,
            "page_size": page_size,
        }

    async def stats(self, user: Principal) -> dict[str, Any]:
        now = utcnow()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Every status is listed, zeros included, so clients need not know the full set.
        by_status = dict.fromkeys(get_args(EmailStatus), 0)
        by_status.update(await self.emails.count_by_status(user.id))
        hourly = await self.emails.series(user.id, "hour", now - timedelta(hours=23), now)
        daily = await self.emails.series(user.id, "day", now - timedelta(days=29), now)
        return {
            "by_status": by_status,
            "total": sum(by_status.values()),
            "sent_today": await self.emails.sent_since(user.id, today),
            "hourly": [_point(row) for row in hourly],
            "daily": [_point(row) for row in daily],
        }


def _point(row: Any) -> dict[str, Any]:
    start, sent, failed = row
    return {"start": start, "sent": int(sent), "failed": int(failed)}
