"""Failure kinds of a delivery attempt, as types: the consumer decides retry or dead-letter by type.

- TemporaryDeliveryError: the whole transaction failed for now (4xx, timeout, connection trouble,
  a relay that refuses our session): retry later with backoff.
- PermanentDeliveryError: the server refused the message itself (5xx to MAIL FROM or DATA):
  never retried.
- InvalidMessage: a Kafka message that cannot be understood: dead-lettered at once so it never
  blocks its partition.
- anything else raised while handling one message is that message's failure (its email closes
  as failed/invalid), unless `platform.failures` says the database or the broker failed.

Answers about single recipients are not errors: the sender returns them as data.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """The whole SMTP transaction failed; `code` and `reply` are the server's answer, if any."""

    def __init__(self, code: int | None, reply: str) -> None:
        self.code = code
        self.reply = reply
        super().__init__(f"{code} {reply}" if code is not None else reply)


class TemporaryDeliveryError(DeliveryError):
    """Try again later: 4xx for the whole message, a timeout, or a connection problem."""


class PermanentDeliveryError(DeliveryError):
    """The server refused the message itself (5xx): sending it again cannot succeed."""


class InvalidMessage(Exception):
    """A Kafka message that cannot be understood; it goes to the DLQ at once."""
