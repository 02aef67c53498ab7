"""Versioned message contracts. Producers and consumers import these and nothing else."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from eccs.contracts.lifecycle import FailureReason
from eccs.contracts.topics import ATTEMPT_HEADER, TRACEPARENT_HEADER

RequestReason = Literal["new", "scheduled", "retry", "owner_retry", "replay", "redelivery"]


class EmailRequestedV1(BaseModel):
    """One email is ready for a delivery attempt; its content is read from PostgreSQL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    email_id: uuid.UUID
    reason: RequestReason
    requested_at: datetime


def email_requested(
    email_id: uuid.UUID,
    reason: RequestReason,
    attempt: int,
    now: datetime,
    traceparent: str | None = None,
) -> tuple[dict[str, object], dict[str, str]]:
    """The payload and headers of an `eccs.email.requested` message, as outbox rows store them."""
    payload = EmailRequestedV1(email_id=email_id, reason=reason, requested_at=now)
    headers = {ATTEMPT_HEADER: str(attempt)}
    if traceparent:
        headers[TRACEPARENT_HEADER] = traceparent
    return payload.model_dump(mode="json"), headers


class SmtpAnswer(BaseModel):
    """What the SMTP server said about one recipient (no code: the connection failed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipient: str
    code: int | None = None
    reply: str | None = None


class AttemptRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    attempt: int
    at: datetime
    outcome: str
    answers: list[SmtpAnswer] = []


class Origin(BaseModel):
    """Where the dead-lettered message was read from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    partition: int
    offset: int


class EmailDeadLetteredV1(BaseModel):
    """An email that will not be delivered, or a message that could not be understood.

    `email_id` is missing only when the original message was unreadable; `original_value` is the
    original message's bytes as text (undecodable bytes escaped) so nothing is lost.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    email_id: uuid.UUID | None
    reason: FailureReason
    detail: str
    original_value: str
    original_headers: dict[str, str]
    origin: Origin
    smtp_replies: list[SmtpAnswer] = []
    attempts: list[AttemptRecord] = []
    dead_lettered_at: datetime
