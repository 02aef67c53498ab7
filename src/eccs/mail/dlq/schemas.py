"""What the DLQ API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import (
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
)

from eccs.contracts.lifecycle import FailureReason, RecipientKind, RecipientStatus
from eccs.platform.schemas import Moment, RequestBody

MAX_REPLAY = 1000
# At the slowest rate a full replay still starts its last email within about 12 days.
MIN_RATE_PER_SECOND = 0.001
MAX_RATE_PER_SECOND = 10_000.0


class DeadLetterRecipient(BaseModel):
    address: str
    kind: RecipientKind
    status: RecipientStatus
    smtp_code: int | None = Field(description="The last SMTP code this recipient got.")
    smtp_reply: str | None = Field(description="The last SMTP reply this recipient got.")


class DeadLetter(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    sender_email: str
    subject: str
    reason: FailureReason | None = Field(description="Why delivery was given up.")
    detail: str | None = Field(description="What went wrong, for people.")
    failed_at: datetime | None
    attempts: int = Field(description="The number of the latest delivery attempt.")
    recipients: list[DeadLetterRecipient]


class DeadLetterPage(BaseModel):
    items: list[DeadLetter]
    total: int
    page: int
    page_size: int


class ReplayRequest(RequestBody):
    reason: FailureReason | None = None
    since: Moment | None = Field(default=None, description="Failed at or after this time.")
    until: Moment | None = Field(default=None, description="Failed before this time.")
    limit: int = Field(ge=1, le=MAX_REPLAY, description="Re-queue at most this many emails.")
    rate_per_second: float | None = Field(
        default=None,
        ge=MIN_RATE_PER_SECOND,
        le=MAX_RATE_PER_SECOND,
        description="Spread the re-queued emails' delivery over time at this rate, instead of"
        " all at once.",
    )

    @field_validator("until")
    @classmethod
    def _not_before_since(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if since is not None and until is not None and since > until:
            raise ValueError("must not be earlier than since")
        return until


class ReplayResult(BaseModel):
    requeued: int = Field(description="How many emails were queued again.")
    ids: list[uuid.UUID] = Field(description="The emails queued again, oldest failure first.")
    matched: int = Field(description="How many failed emails matched, before the limit.")
