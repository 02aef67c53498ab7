"""Dead-letter records: what `eccs.email.dlq` receives, and the attempt history they carry."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import TYPE_CHECKING

import structlog
from aiokafka import AIOKafkaProducer

from eccs.audit.events import AuditEvent
from eccs.contracts.messages import AttemptRecord, EmailDeadLetteredV1, Origin, SmtpAnswer
from eccs.contracts.topics import EMAIL_DLQ
from eccs.platform import metrics

if TYPE_CHECKING:
    from eccs.delivery.handler import Incoming
    from eccs.delivery.smtp import RecipientAnswer

log = structlog.get_logger("eccs.delivery")


class DeadLetters:
    """Publishes records for messages that cannot be understood, straight to the DLQ topic.

    Failed emails are dead-lettered through the outbox instead (see the handler); an unreadable
    message has no email row to commit with, and its offset is not committed until the broker
    has the record, so it is never lost either.
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish_invalid(self, record: Incoming, detail: str) -> None:
        value = record.value or b""
        letter = EmailDeadLetteredV1(
            email_id=email_id_in(value),
            reason="invalid",
            detail=detail,
            original_value=value.decode("utf-8", "backslashreplace"),
            original_headers=record.headers,
            origin=Origin(topic=record.topic, partition=record.partition, offset=record.offset),
            dead_lettered_at=datetime.now(UTC),
        )
        key = str(letter.email_id).encode() if letter.email_id else None
        await self.producer.send_and_wait(EMAIL_DLQ, letter.model_dump_json().encode(), key=key)
        metrics.DEAD_LETTERS.labels("invalid").inc()
        log.warning("message_dead_lettered", reason="invalid", detail=detail, offset=record.offset)


def email_id_in(value: bytes | None) -> uuid.UUID | None:
    """The email id of a broken message, when one can still be read from it."""
    try:
        candidate = json.loads(value or b"").get("email_id")
        return uuid.UUID(str(candidate))
    except (ValueError, AttributeError, TypeError):
        return None


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
            answers=[
                SmtpAnswer(recipient=a.recipient, code=a.code, reply=a.reply) for a in answers
            ],
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
