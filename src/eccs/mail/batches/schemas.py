"""What the batch views answer (the batch send itself: mail/emails)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from eccs.contracts.lifecycle import EmailStatus
from eccs.mail.emails.schemas import BatchItemResult


class BatchSummary(BaseModel):
    id: uuid.UUID
    created_at: datetime
    size: int
    accepted: int
    rejected: int


class BatchPage(BaseModel):
    items: list[BatchSummary]
    total: int
    page: int
    page_size: int


class BatchOut(BatchSummary):
    results: list[BatchItemResult] = Field(description="As the batch was answered.")
    by_status: dict[EmailStatus, int] = Field(description="Its accepted emails' states now.")
