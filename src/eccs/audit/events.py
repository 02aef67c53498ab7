"""What the audit trail records, and the interface every audit store offers.

The notification worker records one event per step of a delivery attempt; email-service reads an
email's timeline back. Both stores (MongoDB, PostgreSQL) pass the same contract tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Protocol

# PostgreSQL text cannot hold NUL, and a reply from a remote SMTP server may carry one: it is
# replaced so the whole batch of events is not refused for one odd character.
_TEXT_FIELDS = ("outcome", "recipient", "smtp_reply", "worker", "detail")
# What an event may say about a person: an address, and a reply or a note quoting one. An
# anonymised event keeps the rest (when, which attempt, what happened, the SMTP code).
PERSONAL_FIELDS = ("recipient", "smtp_reply", "detail")
_NUL_REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class AuditEvent:
    """One step of one delivery attempt of an email.

    `at` is kept in UTC to the millisecond (the precision MongoDB stores), so an event reads back
    from either store exactly equal to the event that was recorded.
    """

    email_id: uuid.UUID
    attempt: int
    outcome: str  # started, accepted, refused, deferred, sent, failed, retry_scheduled, ...
    at: datetime
    recipient: str | None = None
    smtp_code: int | None = None
    smtp_reply: str | None = None
    latency_ms: float | None = None
    worker: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        # Frozen, so normalising a field goes through object.__setattr__ (dataclasses' own way).
        object.__setattr__(self, "at", _to_utc_milliseconds(self.at))
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None and "\x00" in value:
                object.__setattr__(self, name, value.replace("\x00", _NUL_REPLACEMENT))


EVENT_FIELDS = tuple(field.name for field in fields(AuditEvent))


def values_of(event: AuditEvent) -> tuple[object, ...]:
    """The event's fields in `EVENT_FIELDS` order (dataclasses.astuple would copy each value
    deeply first, several times the cost of the rest of recording it)."""
    return tuple(getattr(event, name) for name in EVENT_FIELDS)


def _to_utc_milliseconds(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"audit times must be timezone-aware, got {moment!r}")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def purge_cutoff(before: datetime) -> datetime:
    """The first millisecond not earlier than `before`.

    Event times are whole milliseconds, so "older than this" selects exactly the events older
    than `before`, in both stores alike (MongoDB would otherwise cut `before` to its millisecond).
    """
    cutoff = _to_utc_milliseconds(before)
    return cutoff if cutoff == before else cutoff + timedelta(milliseconds=1)


class AuditStore(Protocol):
    """Where audit events are kept. Implementations: MongoAuditStore, PostgresAuditStore."""

    @property
    def expires_by_itself(self) -> bool:
        """True when the server deletes old events itself (a TTL index); else run `purge`."""
        ...

    async def prepare(self) -> None:
        """Create what the store needs (indexes); safe to call on every start."""
        ...

    async def record(self, events: Sequence[AuditEvent]) -> None:
        """Keep all the events, in one round trip; the order given is the order of ties."""
        ...

    async def timeline(self, email_id: uuid.UUID, limit: int = 1000) -> list[AuditEvent]:
        """The email's first `limit` events, oldest first, ties in the order recorded."""
        ...

    async def purge(self, before: datetime) -> int:
        """Delete every event older than `before`; return how many were deleted."""
        ...

    async def anonymise(self, email_ids: Sequence[uuid.UUID]) -> int:
        """Clear the PERSONAL_FIELDS of these emails' events (their account was deleted);
        return how many events there were."""
        ...

    async def ping(self) -> bool:
        """Whether the store answers now (for /ready); never raises, never hangs long."""
        ...

    async def close(self) -> None: ...


def check_limit(limit: int) -> None:
    # MongoDB reads a limit of 0 as "no limit"; refuse it everywhere so both stores agree.
    if limit < 1:
        raise ValueError(f"timeline limit must be at least 1, got {limit}")
