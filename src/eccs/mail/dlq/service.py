"""Dead-lettered emails for operators: list them, and re-drive them bounded and filtered.

The HTTP API and the `eccs dlq` command both go through this service, so they apply the same
rules and re-queue exactly as an owner's retry does.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from eccs.contracts.lifecycle import FailureReason
from eccs.mail.dlq.repository import DeadLetterFilter, DeadLetterRepository
from eccs.mail.dlq.schemas import (
    MAX_RATE_PER_SECOND,
    MAX_REPLAY,
    MIN_RATE_PER_SECOND,
    DeadLetter,
    DeadLetterPage,
    DeadLetterRecipient,
    ReplayResult,
)
from eccs.mail.emails.repository import EmailRepository
from eccs.mail.emails.service import requeue_failed
from eccs.platform.db import Connection
from eccs.platform.errors import InvalidInput

log = structlog.get_logger("eccs.dlq")

REASONS = tuple(reason.value for reason in FailureReason)


def check_filter(matching: DeadLetterFilter) -> None:
    if matching.reason is not None and matching.reason not in REASONS:
        raise InvalidInput.on("reason", f"must be one of {', '.join(REASONS)}")
    if matching.since and matching.until and matching.since > matching.until:
        raise InvalidInput.on("until", "must not be earlier than since")


def check_replay(limit: int, rate_per_second: float | None) -> None:
    if not 1 <= limit <= MAX_REPLAY:
        raise InvalidInput.on("limit", f"must be between 1 and {MAX_REPLAY}")
    low, high = MIN_RATE_PER_SECOND, MAX_RATE_PER_SECOND
    if rate_per_second is not None and not low <= rate_per_second <= high:
        raise InvalidInput.on("rate_per_second", f"must be between {low:g} and {high:g}")


class DeadLetterService:
    def __init__(self, connection: Connection) -> None:
        self.dead_letters = DeadLetterRepository(connection)
        self.emails = EmailRepository(connection)

    async def page(self, matching: DeadLetterFilter, page: int, page_size: int) -> DeadLetterPage:
        check_filter(matching)
        total = await self.dead_letters.count(matching)
        emails = await self.dead_letters.latest(matching, (page - 1) * page_size, page_size)
        recipients = await self._recipients_by_email([email["id"] for email in emails])
        return DeadLetterPage(
            items=[_dead_letter(email, recipients[email["id"]]) for email in emails],
            total=total,
            page=page,
            page_size=page_size,
        )

    async def replay(
        self,
        matching: DeadLetterFilter,
        limit: int,
        rate_per_second: float | None = None,
        *,
        actor: str,
    ) -> ReplayResult:
        """Re-queue up to `limit` matching emails, the oldest failure first, each with a fresh
        attempt budget; a second replay finds them no longer failed and sends nothing twice.
        Callers hold a transaction: the emails stay locked until it ends."""
        check_filter(matching)
        check_replay(limit, rate_per_second)
        matching = dataclasses.replace(matching, replayable_only=True)
        matched = await self.dead_letters.count(matching)
        locked = await self.dead_letters.lock_oldest(matching, limit)
        now = datetime.now(UTC)
        requeued = await requeue_failed(self.emails, locked, "replay", now, rate_per_second)
        log.info(
            "dlq_replayed",
            actor=actor,
            reason=matching.reason,
            since=matching.since,
            until=matching.until,
            matched=matched,
            requeued=len(requeued),
        )
        return ReplayResult(requeued=len(requeued), ids=requeued, matched=matched)

    async def _recipients_by_email(
        self, email_ids: Sequence[uuid.UUID]
    ) -> defaultdict[uuid.UUID, list[DeadLetterRecipient]]:
        grouped: defaultdict[uuid.UUID, list[DeadLetterRecipient]] = defaultdict(list)
        for row in await self.dead_letters.recipients_of(email_ids):
            recipient = {key: value for key, value in row.items() if key != "email_id"}
            grouped[row["email_id"]].append(DeadLetterRecipient(**recipient))
        return grouped


def _dead_letter(email: Any, recipients: list[DeadLetterRecipient]) -> DeadLetter:
    return DeadLetter(
        id=email["id"],
        user_id=email["user_id"],
        sender_email=email["sender_email"],
        subject=email["subject"],
        reason=email["failure_reason"],
        detail=email["last_error"],
        failed_at=email["failed_at"],
        attempts=email["attempts"],
        recipients=recipients,
    )
