"""Versioned message contracts. Producers and consumers import these and nothing else."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

RequestReason = Literal["new", "scheduled", "retry", "owner_retry", "replay", "redelivery"]


class EmailRequestedV1(BaseModel):
    """One email is ready for a delivery attempt; its content is read from PostgreSQL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    email_id: uuid.UUID
    reason: RequestReason
    requested_at: datetime
