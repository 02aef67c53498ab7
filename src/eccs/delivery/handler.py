"""One delivery attempt, from a Kafka record to recorded SMTP answers, in explicit steps:

    decode  → what the record asks for (incoming.py); unreadable: dead-lettered at once
    claim   → take the attempt if it is due (else skip: finished, moved on or cancelled)
    send    → compose and send to the recipients still without a final answer
    decide  → retry at a time, or close with a reason (the policy, policy.py)
    record  → the answers, then the retry (an outbox row due after the backoff) or the close
              (`sent`, or `failed` with a DLQ record through the outbox), with the suppressions
              and webhook events they lead to (changes.py), in one statement

Recipients on the sender's suppression list are never sent to: they are `suppressed` at once,
the others delivered. The webhook dispatcher of this process is woken once events are committed.

Nothing here sleeps: a retry is a row in PostgreSQL that becomes visible at its time. Whatever
fails while building or sending one email closes that email as failed/invalid; an unexpected
error anywhere else is given up by `give_up` (the consumer calls it), so no message can hold up
the others. Only the database or the broker failing restarts the consumer.
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from opentelemetry.trace import SpanKind

from eccs.audit.events import AuditEvent, AuditStore
from eccs.contracts import outbox
from eccs.contracts.lifecycle import EmailStatus, EventType, FailureReason
from eccs.contracts.webhook_events import EmailEventData, add_events, email_event
from eccs.delivery.answers import RecipientAnswer, for_everyone
from eccs.delivery.changes import recipient_changes
from eccs.delivery.composing import build
from eccs.delivery.dead_letters import DeadLetters, attempt_history, record_of
from eccs.delivery.errors import DeliveryError, InvalidMessage
from eccs.delivery.incoming import Incoming, Request, decode
from eccs.delivery.policy import Close, Decision, DeliveryPolicy, RetryAt
from eccs.delivery.repository import AttemptResult, Claim, DeliveryRepository
from eccs.delivery.smtp import SmtpSender
from eccs.platform import metrics
from eccs.platform.batching import Coalescer
from eccs.platform.db import Database
from eccs.platform.failures import is_infrastructure_failure
from eccs.platform.telemetry import context_from, current_traceparent, span

log = structlog.get_logger("eccs.delivery")


@dataclass(frozen=True)
class Outcome:
    """What handling a message led to: the email's new status and the reason if it failed."""

    status: str  # sent | failed | retrying | skipped | superseded | invalid
    reason: str | None = None


class DeliveryHandler:
    def __init__(
        self,
        database: Database,
        sender: SmtpSender,
        audit: AuditStore,
        dead_letters: DeadLetters,
        policy: DeliveryPolicy,
        smtp_from: str,
        worker: str,
        on_webhook_events: Callable[[], None] = lambda: None,
    ) -> None:
        self.database = database
        self.sender = sender
        self.audit = audit
        self.dead_letters = dead_letters
        self.policy = policy
        self.smtp_from = smtp_from
        self.worker = worker
        # The claims, records and audit writes of the deliveries in flight, each kind made one
        # statement together (platform/batching.py): most of the database's work otherwise.
        self._claims = Coalescer(self._claim_all, divisible=_not_infrastructure)
        self._records = Coalescer(self._record_all, divisible=_not_infrastructure)
        self._audits = Coalescer(self._audit_all, divisible=_not_infrastructure)
        # Webhook deliveries were committed (the dispatcher wakes up for them).
        self.on_webhook_events = on_webhook_events

    async def handle(self, record: Incoming) -> Outcome:
        try:
            request = decode(record)
        except InvalidMessage as exc:
            await self.dead_letters.publish_invalid(record, str(exc))
            return Outcome("invalid", FailureReason.INVALID)
        email_id = str(request.message.email_id)
        parent = context_from(record.headers)
        with (
            span("deliver email", parent, SpanKind.CONSUMER, email_id=email_id),
            structlog.contextvars.bound_contextvars(email_id=email_id),
        ):
            return await self._attempt(record, request)

    async def _attempt(self, record: Incoming, request: Request) -> Outcome:
        claim = await self._claim(request)
        if claim is None:
            return Outcome("skipped")
        started_at = datetime.now(UTC)
        closing = self.policy.before_attempt(
            claim.attempts_used,
            claim.expires_at,
            started_at,
            to_try=len(claim.pending),
            suppressed=len(claim.suppressed),
        )
        if closing is not None:
            return await self._record(record, claim, [], closing, started_at)
        started = time.perf_counter()
        try:
            answers = await self._send(claim)
        except Exception as exc:  # this email's own problem (a bug, bad stored data): never ours
            return await self._record(record, claim, [], self._unsendable(exc), started_at)
        seconds = time.perf_counter() - started
        metrics.SMTP_SEND_SECONDS.observe(seconds)
        decision = self.policy.after_attempt(
            answers, claim.attempts_used, claim.expires_at, datetime.now(UTC)
        )
        return await self._record(
            record, claim, answers, decision, started_at, latency_ms=seconds * 1e3
        )

    # --- the steps ------------------------------------------------------------------------------

    async def _claim(self, request: Request) -> Claim | None:
        claim = await self._claims.submit((request.message.email_id, request.attempt))
        if claim is None:
            log.info(
                "attempt_skipped",
                attempt=request.attempt,
                why="not due: finished, moved on or cancelled",
            )
        return claim

    async def _send(self, claim: Claim) -> list[RecipientAnswer]:
        pending = list(claim.pending)
        message = await build(claim.email, self.smtp_from)
        try:
            return await self.sender.send(message, pending)
        except DeliveryError as exc:  # the whole transaction failed: everyone gets its answer
            return for_everyone(exc, pending)

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
        return Close(
            FailureReason.INVALID, f"the message could not be sent: {type(exc).__name__}: {exc}"
        )

    async def _record(
        self,
        record: Incoming,
        claim: Claim,
        answers: Sequence[RecipientAnswer],
        decision: Decision,
        started_at: datetime,
        latency_ms: float | None = None,
    ) -> Outcome:
        result = await self._result(record, claim, answers, decision)
        owned = await self._records.submit((claim, result))
        outcome = Outcome(result.status, result.reason) if owned else Outcome("superseded")
        now = datetime.now(UTC)
        await self._audit(
            [
                self._event(claim, "started", started_at),
                *(self._suppressed_event(claim, address, now) for address in claim.suppressed),
                *(self._answer_event(claim, answer, now, latency_ms) for answer in answers),
                self._closing_event(claim, outcome, decision),
            ]
        )
        self._count(claim, outcome, answers, now)
        log.info(
            "attempt_finished",
            attempt=claim.attempt,
            outcome=outcome.status,
            reason=outcome.reason,
            accepted=sum(answer.accepted for answer in answers),
            refused=sum(answer.refused for answer in answers),
            deferred=sum(answer.deferred for answer in answers),
        )
        return outcome

    async def _result(
        self,
        record: Incoming,
        claim: Claim,
        answers: Sequence[RecipientAnswer],
        decision: Decision,
    ) -> AttemptResult:
        """The decision as the database records it."""
        now = datetime.now(UTC)
        changes = recipient_changes(claim, answers, decision, now)
        email_id = claim.email.email_id
        if isinstance(decision, RetryAt):
            request = outbox.delivery_request(
                email_id, "retry", claim.attempt + 1, now, decision.at, current_traceparent()
            )
            return AttemptResult(EmailStatus.RETRYING, None, _last_error(answers), changes, request)
        error = decision.detail or _last_error(answers)
        if claim.accepted_before or any(answer.accepted for answer in answers):
            return AttemptResult(EmailStatus.SENT, None, error, changes, None)
        # Dead-lettered through the outbox with the failure: the record exists if and only if
        # the email is committed as failed, whatever happens to this process next.
        history = attempt_history(await self._timeline(email_id), claim.attempt, answers)
        letter = record_of(record, decision.reason, error or decision.reason, answers, history)
        dead_letter = outbox.dead_letter(letter, claim.attempt, now)
        return AttemptResult(EmailStatus.FAILED, decision.reason, error, changes, dead_letter)

    async def _timeline(self, email_id: uuid.UUID) -> list[AuditEvent]:
        """The attempts so far, for a dead letter's history (empty if the store is down: the
        failure is recorded all the same)."""
        try:
            return await self.audit.timeline(email_id)
        except Exception as exc:  # any store error; the history is the lesser loss
            log.warning("audit_read_failed", error=type(exc).__name__)
            return []

    # --- the database's and the audit store's work, many deliveries at a time ---------------

    async def _claim_all(self, wanted: Sequence[tuple[uuid.UUID, int]]) -> list[Claim | None]:
        async with self.database.connection() as connection:
            return await DeliveryRepository(connection).claim(wanted)

    async def _record_all(self, attempts: Sequence[tuple[Claim, AttemptResult]]) -> list[bool]:
        async with self.database.connection() as connection:  # one statement each: it commits
            recorded = await DeliveryRepository(connection).record(attempts)
        if recorded.webhook_deliveries:
            self.on_webhook_events()
        return [(claim.email.email_id, claim.attempt) in recorded.owned for claim, _ in attempts]

    async def _audit_all(self, batches: Sequence[list[AuditEvent]]) -> list[None]:
        await self.audit.record([event for events in batches for event in events])
        return [None] * len(batches)

    # --- a message whose handling failed ------------------------------------------------------

    async def give_up(self, record: Incoming, exc: BaseException) -> None:
        """A message whose handling failed with an error that is not the infrastructure's: close
        its email as `failed` (reason `invalid`) with a DLQ record, so it never comes back and
        never holds up the others. An unreadable message goes to the DLQ topic as it is."""
        metrics.HANDLER_FAILURES.labels("message").inc()
        detail = f"the worker could not handle this message: {type(exc).__name__}"
        log.error("message_given_up", offset=record.offset, error=type(exc).__name__)
        email_id = record.email_id()
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
        letter = record_of(record, FailureReason.INVALID, detail)
        async with self.database.transaction() as connection:
            repository = DeliveryRepository(connection)
            closed = await repository.fail_unfinished(email_id, FailureReason.INVALID, detail)
            if closed is None:
                return
            now = datetime.now(UTC)
            await outbox.add_to_outbox(connection, [outbox.dead_letter(letter, 0, now)])
            data = [
                EmailEventData(
                    email_id=email_id,
                    subject=closed.subject,
                    recipient=address,
                    recipient_kind=kind,
                    reason=FailureReason.INVALID,
                )
                for address, kind in closed.abandoned
            ]
            events = [email_event(EventType.FAILED, closed.user_id, now, facts) for facts in data]
            deliveries = await add_events(connection, events)
        if deliveries:
            self.on_webhook_events()

    # --- the audit trail and metrics ------------------------------------------------------------

    def _event(
        self,
        claim: Claim,
        outcome: str,
        at: datetime,
        *,
        answer: RecipientAnswer | None = None,
        detail: str | None = None,
        latency_ms: float | None = None,
        recipient: str | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            email_id=claim.email.email_id,
            attempt=claim.attempt,
            outcome=outcome,
            at=at,
            recipient=answer.recipient if answer else recipient,
            smtp_code=answer.code if answer else None,
            smtp_reply=answer.reply if answer else None,
            latency_ms=latency_ms,
            worker=self.worker,
            detail=detail,
        )

    def _answer_event(
        self, claim: Claim, answer: RecipientAnswer, at: datetime, latency_ms: float | None
    ) -> AuditEvent:
        """One recipient's answer, with how long the SMTP transaction took."""
        return self._event(claim, answer.outcome, at, answer=answer, latency_ms=latency_ms)

    def _suppressed_event(self, claim: Claim, address: str, at: datetime) -> AuditEvent:
        """A recipient not tried: the address is on the sender's suppression list."""
        _, reason = claim.suppressed[address]
        detail = f"on the suppression list ({reason}): not sent"
        return self._event(claim, "suppressed", at, recipient=address, detail=detail)

    def _closing_event(self, claim: Claim, outcome: Outcome, decision: Decision) -> AuditEvent:
        now = datetime.now(UTC)
        if isinstance(decision, RetryAt) and outcome.status == "retrying":
            detail = f"next attempt at {decision.at.isoformat()}"
            return self._event(claim, "retry_scheduled", now, detail=detail)
        if isinstance(decision, Close) and outcome.status == "failed":
            detail = f"{decision.reason}: {decision.detail}" if decision.detail else decision.reason
            return self._event(claim, "dead_lettered", now, detail=detail)
        return self._event(claim, outcome.status, now)

    async def _audit(self, events: list[AuditEvent]) -> None:
        """Write audit events; a failing audit store never holds up delivery (counted, logged)."""
        try:
            await self._audits.submit(events)
        except Exception as exc:  # any store error: the delivery itself is already recorded
            metrics.AUDIT_WRITE_FAILURES.inc()
            log.warning("audit_write_failed", error=type(exc).__name__, events=len(events))

    def _count(
        self, claim: Claim, outcome: Outcome, answers: Sequence[RecipientAnswer], now: datetime
    ) -> None:
        metrics.EMAILS_PROCESSED.labels(outcome.status).inc()
        metrics.DELIVERY_ATTEMPTS.inc()
        if claim.suppressed:
            metrics.RECIPIENTS_SUPPRESSED.inc(len(claim.suppressed))
        if refusals := sum(answer.suppresses for answer in answers):
            metrics.SUPPRESSIONS_ADDED.labels("refused").inc(refusals)
        for answer in answers:
            metrics.SMTP_ANSWERS.labels(answer.code_class).inc()
        if outcome.status == "retrying":
            metrics.RETRIES_SCHEDULED.inc()
        elif outcome.status == "failed":
            metrics.DEAD_LETTERS.labels(outcome.reason or "unknown").inc()
        if any(answer.accepted for answer in answers):
            metrics.DELIVERY_LATENCY.observe((now - claim.email.created_at).total_seconds())


def _not_infrastructure(exc: Exception) -> bool:
    """Whether a failed batch may be one item's fault (then each is tried alone)."""
    return not is_infrastructure_failure(exc)


def _last_error(answers: Sequence[RecipientAnswer]) -> str | None:
    failures = [answer for answer in answers if not answer.accepted]
    if not failures:
        return None
    last = failures[-1]
    return f"{last.code} {last.reply}" if last.code else last.reply
