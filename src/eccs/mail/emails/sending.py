"""Accepting emails: validate, render, and write them with their outbox rows; nothing is sent
here. One email (POST /api/emails/send) or a batch of up to 100 (POST /api/emails/batch) is
written by the same single statement; a batch's emails are checked one by one, the valid ones
accepted, each counted against the quota in the order given."""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from eccs.contracts import outbox
from eccs.contracts.keys import new_email_id
from eccs.contracts.lifecycle import EmailStatus
from eccs.contracts.messages import RequestReason
from eccs.mail.batches.repository import BatchRepository
from eccs.mail.emails.headers import headers_of
from eccs.mail.emails.repository import (
    EmailRepository,
    HourlyQuota,
    NewEmail,
    SendCounts,
    Sender,
    quota_window,
)
from eccs.mail.emails.schemas import Accepted, BatchAccepted, BatchItemResult, SendRequest
from eccs.mail.errors import AddressUnverified, BatchRefused, QuotaExceeded, SenderGone
from eccs.mail.settings import MailSettings
from eccs.mail.templates.rendering import Rendered, render_parts
from eccs.mail.templates.repository import TemplateRepository
from eccs.mail.templates.schemas import TemplateOut
from eccs.platform.addresses import check_header_safe
from eccs.platform.batching import Coalescer
from eccs.platform.db import Connection, Database
from eccs.platform.errors import ErrorDetail, FieldProblem, InvalidInput
from eccs.platform.failures import is_infrastructure_failure
from eccs.platform.metrics import EMAILS_ACCEPTED
from eccs.platform.security import Principal
from eccs.platform.telemetry import current_traceparent

Templates = dict[uuid.UUID, TemplateOut]


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


# Writes one email: `EmailRepository.send` for it alone, or with others (`SharedSends`).
Write = Callable[[Sender, NewEmail, HourlyQuota], Awaitable[SendCounts]]


class _Accepting:
    """What every way of accepting does with an email before and after it is written."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def _accept_one(
        self, user: Principal, request: SendRequest, templates: Templates, write: Write
    ) -> Accepted:
        now = datetime.now(UTC)
        email = self._prepare(request, now, templates)
        quota = quota_window(self.settings.send_quota_per_hour, now)
        counts = await write(_sender(user, now), email, quota)
        _check_sender(counts)
        if not counts.accepted:
            raise self._over_quota(counts, quota, now)
        _count_accepted([email])
        return _accepted(email, counts.at)

    # --- one email ------------------------------------------------------------------------------

    def _prepare(self, request: SendRequest, now: datetime, templates: Templates) -> NewEmail:
        envelope = Envelope.of(request)
        self._check_recipient_count(envelope)
        self._check_schedule(request, now)
        content = _content(request, templates)
        due = max(request.scheduled_at or now, now)
        self._check_expiry(request, due)
        headers = headers_of(
            request.headers,
            request.list_unsubscribe,
            len(envelope.recipients),
            self.settings.eccs_public_url,
        )
        scheduled = due > now
        # The request's trace continues in the worker that delivers the email.
        reason: RequestReason = "scheduled" if scheduled else "new"
        email_id = new_email_id()
        request_row = outbox.delivery_request(email_id, reason, 1, now, due, current_traceparent())
        return NewEmail(
            id=email_id,
            subject=content.subject,
            text_body=content.text,
            html_body=content.html,
            template_id=request.template_id,
            status=EmailStatus.SCHEDULED if scheduled else EmailStatus.QUEUED,
            scheduled_at=request.scheduled_at,
            expires_at=request.expires_at,
            recipients=envelope.recipients,
            attachments=[
                (a.filename, a.content_type, a.content_base64) for a in request.attachments
            ],
            request=request_row,
            headers=headers.added or None,
            reply_to=request.reply_to,
            unsubscribe_token=headers.unsubscribe_token,
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

    def _over_quota(self, counts: SendCounts, quota: HourlyQuota, now: datetime) -> QuotaExceeded:
        return QuotaExceeded(
            f"The quota of {quota.limit} emails per hour is used up.",
            retry_after=_seconds_until_room(counts, quota.limit, now),
        )


class Sending(_Accepting):
    """Accepting on one connection: a batch, or an email sent with an Idempotency-Key (the key
    is written in the same transaction)."""

    def __init__(self, connection: Connection, settings: MailSettings) -> None:
        super().__init__(settings)
        self.emails = EmailRepository(connection)
        self.templates = TemplateRepository(connection)
        self.batches = BatchRepository(connection)

    async def accept(self, user: Principal, request: SendRequest) -> Accepted:
        """Write the email, its recipients, attachments and outbox row in one statement."""
        templates = await self._templates(user, [request])
        return await self._accept_one(user, request, templates, self._write)

    async def _write(self, sender: Sender, email: NewEmail, quota: HourlyQuota) -> SendCounts:
        return await self.emails.send(sender, [email], quota)

    async def accept_batch(
        self, user: Principal, items: Sequence[SendRequest | ErrorDetail]
    ) -> BatchAccepted:
        """Write every valid email of a batch the quota allows, in one statement, and the
        batch's record; `items` are the requests, or why one could not even be read. Raises
        when none is accepted: 429 when the quota refused some, else 422 naming every field."""
        now = datetime.now(UTC)
        batch_id = uuid.uuid4()
        requests = [item for item in items if isinstance(item, SendRequest)]
        templates = await self._templates(user, requests)
        results: dict[int, BatchItemResult] = {}
        prepared: list[tuple[int, NewEmail]] = []
        for index, item in enumerate(items):
            try:
                if isinstance(item, ErrorDetail):
                    results[index] = BatchItemResult(index=index, error=item)
                else:
                    prepared.append((index, self._prepare(item, now, templates)))
            except InvalidInput as exc:
                results[index] = BatchItemResult(index=index, error=exc.detail(f"[{index}]."))
        quota = quota_window(self.settings.send_quota_per_hour, now)
        emails = [email for _, email in prepared]
        counts = (
            await self.emails.send(_sender(user, now, batch_id), emails, quota)
            if emails
            else SendCounts(0, 0, 0, verified=True, at=now)
        )
        _check_sender(counts)
        over_quota = self._over_quota(counts, quota, now)
        for position, (index, email) in enumerate(prepared):
            results[index] = (
                BatchItemResult(index=index, email=_accepted(email, now))
                if position < counts.accepted
                else BatchItemResult(index=index, error=over_quota.detail())
            )
        ordered = [results[index] for index in range(len(items))]
        if not counts.accepted:
            raise over_quota if prepared else _refused(ordered)
        _count_accepted(emails[: counts.accepted])
        dumped = [result.model_dump(mode="json") for result in ordered]
        await self.batches.add(batch_id, user.id, len(items), counts.accepted, dumped, now)
        return BatchAccepted(
            batch_id=batch_id,
            accepted=counts.accepted,
            rejected=len(items) - counts.accepted,
            results=ordered,
        )

    async def _templates(self, user: Principal, requests: Sequence[SendRequest]) -> Templates:
        """The templates the requests name, in one query (none when they name none)."""
        wanted = {r.template_id for r in requests if r.template_id is not None}
        return await self.templates.get_many(user.id, wanted) if wanted else {}


# One sender's concurrent sends, as one item each of the statement that writes them.
_Pending = tuple[Sender, NewEmail, HourlyQuota]


class SharedSends(_Accepting):
    """Single sends without an Idempotency-Key: those of one sender in flight together are
    written by one statement, as a batch is.

    The statement, its round trip and its commit cost PostgreSQL and this process several times
    what the rows do, and a program sending for one account sends many at once. Nothing waits
    for company: a lone send is written at once, and the sends made meanwhile by the same sender
    (the same account, API key and name) go into the next statement. No lock is held between
    them, and different senders' statements run side by side.
    """

    def __init__(self, database: Database, settings: MailSettings) -> None:
        super().__init__(settings)
        self.database = database
        self._senders: dict[Sender, Coalescer[_Pending, SendCounts]] = {}

    async def accept(self, user: Principal, request: SendRequest) -> Accepted:
        templates: Templates = {}
        if request.template_id is not None:
            async with self.database.connection() as connection:
                templates = await TemplateRepository(connection).get_many(
                    user.id, {request.template_id}
                )
        return await self._accept_one(user, request, templates, self._write)

    async def _write(self, sender: Sender, email: NewEmail, quota: HourlyQuota) -> SendCounts:
        who = replace(sender, at=_ANY_TIME)  # who sends, whenever
        coalescer = self._senders.get(who)
        if coalescer is None:
            coalescer = self._senders[who] = Coalescer(self._write_together, _divisible)
        try:
            return await coalescer.submit((sender, email, quota))
        finally:
            if coalescer.idle and self._senders.get(who) is coalescer:
                del self._senders[who]

    async def _write_together(self, pending: Sequence[_Pending]) -> list[SendCounts]:
        """One statement for them all, as the last of them: its time and quota window (a send
        that came a moment earlier is written with this moment, a moment later)."""
        sender, _, quota = pending[-1]
        emails = [email for _, email, _ in pending]
        async with self.database.connection() as connection:
            counts = await EmailRepository(connection).send(sender, emails, quota)
        # The quota takes the first ones in order, as it does a batch's.
        return [
            replace(counts, accepted=int(position < counts.accepted))
            for position in range(len(emails))
        ]


_ANY_TIME = datetime.min.replace(tzinfo=UTC)


def _divisible(exc: Exception) -> bool:
    """A failed statement may be one email's fault (each is then written alone), unless the
    database failed."""
    return not is_infrastructure_failure(exc)


def _content(request: SendRequest, templates: Templates) -> Rendered:
    if request.template_id is None:
        if request.subject is None or not request.subject.strip():
            raise InvalidInput.on("subject", "is required unless template_id is given")
        if request.text is None and request.html is None:
            raise InvalidInput.on("text", "give text, html or template_id")
        return Rendered(request.subject, request.text, request.html)
    template = templates.get(request.template_id)
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


def _sender(user: Principal, now: datetime, batch_id: uuid.UUID | None = None) -> Sender:
    key = user.api_key
    return Sender(
        user.id,
        user.name or user.email,
        user.email,
        now,
        batch_id,
        api_key_id=key.id if key else None,
        api_key_name=key.name if key else None,
    )


def _check_sender(counts: SendCounts) -> None:
    """Refuse a send whose account is gone (or its API key) or whose address is unverified."""
    if counts.verified is None:
        raise SenderGone()
    if not counts.verified:
        raise AddressUnverified()


def _accepted(email: NewEmail, now: datetime) -> Accepted:
    return Accepted(
        id=email.id,
        status=email.status,
        created_at=now,
        scheduled_at=email.scheduled_at,
        expires_at=email.expires_at,
        recipients=len(email.recipients),
    )


def _count_accepted(emails: Sequence[NewEmail]) -> None:
    for email in emails:
        EMAILS_ACCEPTED.labels(str(email.status == EmailStatus.SCHEDULED).lower()).inc()


def _refused(results: list[BatchItemResult]) -> BatchRefused:
    problems = [
        problem for result in results if result.error is not None for problem in result.error.fields
    ]
    return BatchRefused(fields=[FieldProblem(p.field, p.message) for p in problems])


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
