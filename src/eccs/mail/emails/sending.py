"""Accepting an email: validate, render, and write it with its outbox row; nothing is sent here."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eccs.contracts import outbox
from eccs.contracts.lifecycle import EmailStatus
from eccs.contracts.messages import RequestReason
from eccs.mail.emails.repository import EmailRepository, NewEmail, SendCounts, quota_window
from eccs.mail.emails.schemas import Accepted, SendRequest
from eccs.mail.errors import AddressUnverified, QuotaExceeded, SenderGone
from eccs.mail.settings import MailSettings
from eccs.mail.templates.rendering import Rendered, render_parts
from eccs.mail.templates.repository import TemplateRepository
from eccs.platform.addresses import check_header_safe
from eccs.platform.db import Connection
from eccs.platform.errors import InvalidInput
from eccs.platform.metrics import EMAILS_ACCEPTED
from eccs.platform.security import Principal
from eccs.platform.telemetry import current_traceparent


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


class Sending:
    def __init__(self, connection: Connection, settings: MailSettings) -> None:
        self.settings = settings
        self.emails = EmailRepository(connection)
        self.templates = TemplateRepository(connection)

    async def accept(self, user: Principal, request: SendRequest) -> Accepted:
        """Write the email, its recipients, attachments and outbox row in one statement."""
        now = datetime.now(UTC)
        envelope = Envelope.of(request)
        self._check_recipient_count(envelope)
        self._check_schedule(request, now)
        content = await self._content(user, request)
        due = max(request.scheduled_at or now, now)
        self._check_expiry(request, due)
        scheduled = due > now
        email = _new_email(user, request, content, envelope, now, due, scheduled)
        quota = quota_window(self.settings.send_quota_per_hour, now)
        counts = await self.emails.send(email, quota)
        if counts.verified is None:
            raise SenderGone()
        if not counts.verified:
            raise AddressUnverified()
        if not counts.accepted:
            raise QuotaExceeded(
                f"The quota of {quota.limit} emails per hour is used up.",
                retry_after=_seconds_until_room(counts, quota.limit, now),
            )
        EMAILS_ACCEPTED.labels(str(scheduled).lower()).inc()
        return Accepted(
            id=email.id,
            status=email.status,
            created_at=now,
            scheduled_at=request.scheduled_at,
            expires_at=request.expires_at,
            recipients=len(envelope.recipients),
        )

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


def _new_email(
    user: Principal,
    request: SendRequest,
    content: Rendered,
    envelope: Envelope,
    now: datetime,
    due: datetime,
    scheduled: bool,
) -> NewEmail:
    email_id = uuid.uuid4()
    # The request's trace continues in the worker that delivers the email.
    reason: RequestReason = "scheduled" if scheduled else "new"
    request_row = outbox.delivery_request(email_id, reason, 1, now, due, current_traceparent())
    return NewEmail(
        id=email_id,
        user_id=user.id,
        sender_name=user.name or user.email,
        sender_email=user.email,
        subject=content.subject,
        text_body=content.text,
        html_body=content.html,
        template_id=request.template_id,
        status=EmailStatus.SCHEDULED if scheduled else EmailStatus.QUEUED,
        scheduled_at=request.scheduled_at,
        expires_at=request.expires_at,
        created_at=now,
        recipients=envelope.recipients,
        attachments=[(a.filename, a.content_type, a.content_base64) for a in request.attachments],
        request=request_row,
        api_key_id=user.api_key.id if user.api_key else None,
        api_key_name=user.api_key.name if user.api_key else None,
    )


def _seconds_until_room(counts: SendCounts, limit: int, now: datetime) -> int:
    """When the next send will fit in the sliding hour: the previous hour's weight falls as the
    current hour goes on, and the current hour's count becomes the previous one's at its end."""
    hour_start = now.replace(minute=0, second=0, microsecond=0)
    elapsed = (now - hour_start).total_seconds()
    if counts.this_hour < limit:
        # this + last * (1 - t/3600) < limit  ⇔  t > 3600 * (1 - (limit - this) / last)
        room_at = 3600 * (1 - (limit - counts.this_hour) / max(counts.last_hour, 1))
        return max(1, math.ceil(room_at - elapsed))
    # From the next hour on, this hour's count is the previous one, weighted down as it passes.
    room_at = 3600 + 3600 * (1 - limit / counts.this_hour)
    return max(1, math.ceil(room_at - elapsed))
