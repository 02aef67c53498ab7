"""One delivery attempt, from a Kafka record to recorded SMTP answers.

decode → claim the attempt (skip it if it is not due) → compose and send to the recipients still
without a final answer → record each answer, then either schedule the next attempt (an outbox
row due after the backoff) or close the email as `sent` or `failed` (with a DLQ record written
through the outbox in the same transaction, so it is published only if the state was committed).

Nothing here sleeps: a retry is a row in PostgreSQL that becomes visible at its time.
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eccs.audit.events import AuditEvent, AuditStore
from eccs.contracts.messages import (
    AttemptRecord,
    EmailDeadLetteredV1,
    EmailRequestedV1,
    Origin,
    SmtpAnswer,
    email_requested,
)
from eccs.contracts.topics import ATTEMPT_HEADER, EMAIL_DLQ, EMAIL_REQUESTED
from eccs.delivery.composing import OutgoingEmail, compose
from eccs.delivery.dead_letters import DeadLetters, attempt_history, email_id_in
from eccs.delivery.errors import (
    InvalidMessage,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    is_infrastructure_failure,
)
from eccs.delivery.policy import Close, Decision, DeliveryPolicy, RetryAt
from eccs.delivery.repository import ClaimedEmail, DeliveryRepository, RecipientUpdate
from eccs.delivery.smtp import RecipientAnswer, SmtpSender
from eccs.platform import metrics
from eccs.platform.telemetry import context_from, current_traceparent, span

log = structlog.get_logger("eccs.delivery")


@dataclass(frozen=True)
class Incoming:
    """A Kafka record, reduced to what handling it needs."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: dict[str, str]

    @property
    def origin(self) -> Origin:
        return Origin(topic=self.topic, partition=self.partition, offset=self.offset)


def decode(record: Incoming) -> tuple[EmailRequestedV1, int]:
    """The request and its attempt number, or InvalidMessage saying what is wrong."""
    if record.value is None:
        raise InvalidMessage("the message has no value")
    try:
        request = EmailRequestedV1.model_validate_json(record.value)
    except ValidationError as exc:
        raise InvalidMessage(
            f"not an {EmailRequestedV1.__name__}: {exc.errors()[0]['msg']}"
        ) from exc
    attempt = record.headers.get(ATTEMPT_HEADER, "")
    if not attempt.isdigit() or int(attempt) < 1:
        raise InvalidMessage(f"header {ATTEMPT_HEADER} must be a positive number, got {attempt!r}")
    return request, int(attempt)


@dataclass(frozen=True)
class Outcome:
    """What an attempt led to: the email's new status and the reason if it failed."""

    status: str  # sent | failed | retrying | skipped | superseded | invalid
    reason: str | None = None


class DeliveryHandler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: SmtpSender,
        audit: AuditStore,
        dead_letters: DeadLetters,
        policy: DeliveryPolicy,
        smtp_from: str,
        worker: str,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.audit = audit
        self.dead_letters = dead_letters
        self.policy = policy
        self.smtp_from = smtp_from
        self.worker = worker

    async def handle(self, record: Incoming) -> Outcome:
        try:
            request, attempt = decode(record)
        except InvalidMessage as exc:
            await self.dead_letters.publish_invalid(record, str(exc))
            return Outcome("invalid", "invalid")
        parent = context_from(record.headers)
        email_id = str(request.email_id)
        with (
            span("deliver email", parent, SpanKind.CONSUMER, email_id=email_id),
            structlog.contextvars.bound_contextvars(email_id=email_id),
        ):
            return await self._attempt(record, request, attempt)

    async def _attempt(self, record: Incoming, request: EmailRequestedV1, attempt: int) -> Outcome:
        async with self.sessions() as session:
            email = await DeliveryRepository(session).claim(request.email_id, attempt)
            await session.commit()
        if email is None:
            log.info(
                "attempt_skipped", attempt=attempt, why="not due: finished, moved on or cancelled"
            )
            return Outcome("skipped")
        now = datetime.now(UTC)
        closing = self.policy.before_attempt(email.attempts_used, email.expires_at, now)
        if closing is not None:
            return await self._record(record, email, [], closing)
        await self._audit([self._event(email, "started", now)])
        started = time.perf_counter()
        try:
            answers = await self._send(email)
        except Exception as exc:  # this email's own problem (a bug, bad stored data): never ours
            return await self._record(record, email, [], self._unsendable(exc))
        seconds = time.perf_counter() - started
        metrics.SMTP_SEND_SECONDS.observe(seconds)
        decision = self.policy.after_attempt(
            answers, email.attempts_used, email.expires_at, datetime.now(UTC)
        )
        return await self._record(record, email, answers, decision, latency_ms=seconds * 1e3)

    async def _send(self, email: ClaimedEmail) -> list[RecipientAnswer]:
        pending = [r.address for r in email.pending()]
        message = compose(_outgoing(email), self.smtp_from)
        try:
            return await self.sender.send(message, pending)
        except (TemporaryDeliveryError, PermanentDeliveryError) as exc:
            # The whole transaction failed: every recipient gets the server's (or the
            # connection's) answer, and the error's kind decides retry or refusal.
            permanent = isinstance(exc, PermanentDeliveryError)
            return [RecipientAnswer(r, exc.code, exc.reply, permanent) for r in pending]

    def _unsendable(self, exc: Exception) -> Close:
        """Close an email whose message could not be built or sent, saying why in its timeline.

        The log line names the error's type and where it was raised, never its message: that
        may quote the email's content.
        """
        metrics.HANDLER_FAILURES.labels("email").inc()
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        log.error(
            "email_unsendable",
            error=type(exc).__name__,
            where=f"{frame.filename}:{frame.lineno} in {frame.name}",
        )
        return Close("invalid", f"the message could not be sent: {type(exc).__name__}: {exc}")

    async def _record(
        self,
        record: Incoming,
        email: ClaimedEmail,
        answers: Sequence[RecipientAnswer],
        decision: Decision,
        latency_ms: float | None = None,
    ) -> Outcome:
        async with self.sessions() as session:
            repository = DeliveryRepository(session)
            owned = await repository.still_owned(email.id, email.attempt)
            await repository.record_answers(_updates(email, answers))
            if not owned:
                outcome = Outcome("superseded")
            elif isinstance(decision, RetryAt):
                outcome = await self._schedule_retry(repository, email, answers, decision.at)
            else:
                outcome = await self._close(repository, record, email, answers, decision)
            await session.commit()
        now = datetime.now(UTC)
        await self._audit(
            [
                *(self._answer_event(email, answer, now, latency_ms) for answer in answers),
                self._closing_event(email, outcome, decision),
            ]
        )
        self._count(email, outcome, answers, now)
        log.info(
            "attempt_finished",
            attempt=email.attempt,
            outcome=outcome.status,
            reason=outcome.reason,
            accepted=sum(answer.accepted for answer in answers),
            refused=sum(answer.refused for answer in answers),
            deferred=sum(answer.deferred for answer in answers),
        )
        return outcome

    async def _schedule_retry(
        self,
        repository: DeliveryRepository,
        email: ClaimedEmail,
        answers: Sequence[RecipientAnswer],
        retry_at: datetime,
    ) -> Outcome:
        await repository.schedule_retry(email.id, _last_error(answers))
        payload, headers = email_requested(
            email.id, "retry", email.attempt + 1, datetime.now(UTC), current_traceparent()
        )
        await repository.add_outbox(email.id, EMAIL_REQUESTED, payload, headers, retry_at)
        return Outcome("retrying")

    async def _close(
        self,
        repository: DeliveryRepository,
        record: Incoming,
        email: ClaimedEmail,
        answers: Sequence[RecipientAnswer],
        decision: Close,
    ) -> Outcome:
        """`sent` if anyone accepted it (now or before), else `failed` with a DLQ record."""
        error = decision.detail or _last_error(answers)
        status = await repository.finish(email.id, error, decision.reason)
        if status == "sent":
            return Outcome("sent")
        history = attempt_history(await self.audit.timeline(email.id), email.attempt, answers)
        letter = dead_letter(record, email.id, decision, answers, history)
        await self._dead_letter_later(repository, letter, email.attempt)
        return Outcome("failed", decision.reason)

    async def _dead_letter_later(
        self, repository: DeliveryRepository, letter: EmailDeadLetteredV1, attempt: int
    ) -> None:
        """Through the outbox, in the caller's transaction: the record exists if and only if the
        email is committed as failed, whatever happens to this process next."""
        assert letter.email_id is not None
        payload = letter.model_dump(mode="json")
        headers = {ATTEMPT_HEADER: str(attempt)}
        await repository.add_outbox(letter.email_id, EMAIL_DLQ, payload, headers, datetime.now(UTC))

    async def give_up(self, record: Incoming, exc: BaseException) -> None:
        """A message whose handling failed with an error that is not the infrastructure's: close
        its email as `failed` (reason `invalid`) with a DLQ record, so it never comes back and
        never holds up the others. An unreadable message goes to the DLQ topic as it is."""
        metrics.HANDLER_FAILURES.labels("message").inc()
        detail = f"the worker could not handle this message: {type(exc).__name__}"
        log.error("message_given_up", offset=record.offset, error=type(exc).__name__)
        email_id = email_id_in(record.value)
        try:
            if email_id is not None:
                await self._fail_email(record, email_id, detail)
                return
        except Exception as unrecorded:
            if is_infrastructure_failure(unrecorded):
                raise
            # Not even closing it worked: the record on the DLQ topic is what is left.
        await self.dead_letters.publish_invalid(record, detail)

    async def _fail_email(self, record: Incoming, email_id: uuid.UUID, detail: str) -> None:
        closing = Close("invalid", detail)
        async with self.sessions() as session:
            repository = DeliveryRepository(session)
            closed = await repository.fail_unfinished(email_id, closing.reason, detail)
            if closed:
                letter = dead_letter(record, email_id, closing, [], [])
                await self._dead_letter_later(repository, letter, 0)
            await session.commit()

    # --- the audit trail and metrics ------------------------------------------------------------

    def _event(
        self,
        email: ClaimedEmail,
        outcome: str,
        at: datetime,
        *,
        answer: RecipientAnswer | None = None,
        detail: str | None = None,
        latency_ms: float | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            email_id=email.id,
            attempt=email.attempt,
            outcome=outcome,
            at=at,
            recipient=answer.recipient if answer else None,
            smtp_code=answer.code if answer else None,
            smtp_reply=answer.reply if answer else None,
            latency_ms=latency_ms,
            worker=self.worker,
            detail=detail,
        )

    def _answer_event(
        self, email: ClaimedEmail, answer: RecipientAnswer, at: datetime, latency_ms: float | None
    ) -> AuditEvent:
        """One recipient's answer, with how long the SMTP transaction took."""
        outcome = "accepted" if answer.accepted else "refused" if answer.refused else "deferred"
        return self._event(email, outcome, at, answer=answer, latency_ms=latency_ms)

    def _closing_event(
        self, email: ClaimedEmail, outcome: Outcome, decision: Decision
    ) -> AuditEvent:
        now = datetime.now(UTC)
        if isinstance(decision, RetryAt) and outcome.status == "retrying":
            detail = f"next attempt at {decision.at.isoformat()}"
            return self._event(email, "retry_scheduled", now, detail=detail)
        if isinstance(decision, Close) and outcome.status == "failed":
            detail = f"{decision.reason}: {decision.detail}" if decision.detail else decision.reason
            return self._event(email, "dead_lettered", now, detail=detail)
        return self._event(email, outcome.status, now)

    async def _audit(self, events: list[AuditEvent]) -> None:
        """Write audit events; a failing audit store never holds up delivery (counted, logged)."""
        try:
            await self.audit.record(events)
        except Exception as exc:  # any store error: the delivery itself is already recorded
            metrics.AUDIT_WRITE_FAILURES.inc()
            log.warning("audit_write_failed", error=repr(exc), events=len(events))

    def _count(
        self,
        email: ClaimedEmail,
        outcome: Outcome,
        answers: Sequence[RecipientAnswer],
        now: datetime,
    ) -> None:
        metrics.EMAILS_PROCESSED.labels(outcome.status).inc()
        metrics.DELIVERY_ATTEMPTS.inc()
        if outcome.status == "retrying":
            metrics.RETRIES_SCHEDULED.inc()
        elif outcome.status == "failed":
            metrics.DEAD_LETTERS.labels(outcome.reason or "unknown").inc()
        if any(answer.accepted for answer in answers):
            metrics.DELIVERY_LATENCY.observe((now - email.created_at).total_seconds())


def _outgoing(email: ClaimedEmail) -> OutgoingEmail:
    return OutgoingEmail(
        email_id=email.id,
        sender_name=email.sender_name,
        sender_email=email.sender_email,
        subject=email.subject,
        text=email.text,
        html=email.html,
        to=email.addresses("to"),
        cc=email.addresses("cc"),
        bcc=email.addresses("bcc"),
        attachments=email.attachments,
        created_at=email.created_at,
    )


def _updates(email: ClaimedEmail, answers: Sequence[RecipientAnswer]) -> list[RecipientUpdate]:
    ids = {r.address: r.id for r in email.pending()}
    return [
        RecipientUpdate(
            id=ids[answer.recipient],
            status="accepted" if answer.accepted else "refused" if answer.refused else "pending",
            code=answer.code,
            reply=answer.reply,
        )
        for answer in answers
        if answer.recipient in ids
    ]


def _last_error(answers: Sequence[RecipientAnswer]) -> str | None:
    failures = [answer for answer in answers if not answer.accepted]
    if not failures:
        return None
    last = failures[-1]
    return f"{last.code} {last.reply}" if last.code else last.reply


def dead_letter(
    record: Incoming,
    email_id: uuid.UUID,
    decision: Close,
    answers: Sequence[RecipientAnswer],
    history: list[AttemptRecord],
) -> EmailDeadLetteredV1:
    return EmailDeadLetteredV1(
        email_id=email_id,
        reason=decision.reason,
        detail=decision.detail or _last_error(answers) or decision.reason,
        original_value=(record.value or b"").decode("utf-8", "backslashreplace"),
        original_headers=record.headers,
        origin=record.origin,
        smtp_replies=[_smtp_answer(answer) for answer in answers],
        attempts=history,
        dead_lettered_at=datetime.now(UTC),
    )


def _smtp_answer(answer: RecipientAnswer) -> SmtpAnswer:
    return SmtpAnswer(recipient=answer.recipient, code=answer.code, reply=answer.reply)
