"""Dead-letter records: what `eccs.email.dlq` receives, and the attempt history they carry.

A failed email's record goes through the outbox, in the transaction that marks it failed, so it
exists if and only if that is committed. A message that cannot be understood has no email row
to commit with: its record goes straight to the topic, and its offset is not committed until
the broker has it, so it is never lost either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby

import structlog
from aiokafka import AIOKafkaProducer

from eccs.audit.events import AuditEvent
from eccs.contracts.lifecycle import FailureReason
from eccs.contracts.messages import AttemptRecord, EmailDeadLetteredV1, SmtpAnswer
from eccs.contracts.topics import EMAIL_DLQ
from eccs.delivery.answers import RecipientAnswer
from eccs.delivery.incoming import Incoming
from eccs.platform import metrics

log = structlog.get_logger("eccs.delivery")


def record_of(
    incoming: Incoming,
    reason: FailureReason,
    detail: str,
    answers: Sequence[RecipientAnswer] = (),
    history: Sequence[AttemptRecord] = (),
) -> EmailDeadLetteredV1:
    """The DLQ record of a message, with the original message kept whole."""
    return EmailDeadLetteredV1(
        email_id=incoming.email_id(),
        reason=reason,
        detail=detail,
        original_value=(incoming.value or b"").decode("utf-8", "backslashreplace"),
        original_headers=incoming.headers,
        origin=incoming.origin,
        smtp_replies=[_smtp_answer(answer) for answer in answers],
        attempts=list(history),
        dead_lettered_at=datetime.now(UTC),
    )


class DeadLetters:
    """Publishes the records of messages that cannot be understood, straight to the topic."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish_invalid(self, incoming: Incoming, detail: str) -> None:
        letter = record_of(incoming, FailureReason.INVALID, detail)
        key = str(letter.email_id).encode() if letter.email_id else None
        await self.producer.send_and_wait(EMAIL_DLQ, letter.model_dump_json().encode(), key=key)
        metrics.DEAD_LETTERS.labels(FailureReason.INVALID).inc()
        log.warning("message_dead_lettered", reason="invalid", offset=incoming.offset)


def attempt_history(
    events: Sequence[AuditEvent], current: int, answers: Sequence[RecipientAnswer]
) -> list[AttemptRecord]:
    """Every attempt with its SMTP answers, from the audit trail plus the attempt just made."""
    history = [
        _attempt_record(attempt, list(group))
        for attempt, group in groupby(
            sorted(events, key=lambda e: e.attempt), key=lambda e: e.attempt
        )
        if attempt != current
    ]
    history.append(
        AttemptRecord(
            attempt=current,
            at=datetime.now(UTC),
            outcome="failed",
            answers=[_smtp_answer(answer) for answer in answers],
        )
    )
    return history


def _attempt_record(attempt: int, events: list[AuditEvent]) -> AttemptRecord:
    answers = [
        SmtpAnswer(recipient=e.recipient, code=e.smtp_code, reply=e.smtp_reply)
        for e in events
        if e.recipient is not None
    ]
    return AttemptRecord(
        attempt=attempt, at=events[0].at, outcome=events[-1].outcome, answers=answers
    )


def _smtp_answer(answer: RecipientAnswer) -> SmtpAnswer:
    return SmtpAnswer(recipient=answer.recipient, code=answer.code, reply=answer.reply)
