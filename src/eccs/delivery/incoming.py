"""The first step of handling a Kafka record: what it asks for, or why it cannot be understood."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from pydantic import ValidationError

from eccs.contracts.messages import EmailRequestedV1, Origin
from eccs.contracts.topics import ATTEMPT_HEADER
from eccs.delivery.errors import InvalidMessage


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

    def email_id(self) -> uuid.UUID | None:
        """The email id of a message, even of a broken one, when it can still be read."""
        try:
            candidate = json.loads(self.value or b"").get("email_id")
            return uuid.UUID(str(candidate))
        except (ValueError, AttributeError, TypeError):
            return None


@dataclass(frozen=True)
class Request:
    """A delivery request: attempt `attempt` of an email."""

    message: EmailRequestedV1
    attempt: int


def decode(record: Incoming) -> Request:
    """The request and its attempt number, or InvalidMessage saying what is wrong."""
    if record.value is None:
        raise InvalidMessage("the message has no value")
    try:
        message = EmailRequestedV1.model_validate_json(record.value)
    except ValidationError as exc:
        raise InvalidMessage(
            f"not an {EmailRequestedV1.__name__}: {exc.errors()[0]['msg']}"
        ) from exc
    attempt = record.headers.get(ATTEMPT_HEADER, "")
    if not attempt.isdigit() or int(attempt) < 1:
        raise InvalidMessage(f"header {ATTEMPT_HEADER} must be a positive number, got {attempt!r}")
    return Request(message, int(attempt))
