"""The webhook tables, shared like the email tables (see `tables`).

email-service writes the endpoints (its API), the events its own steps cause (an unsubscribe, a
complaint, a test) and the deliveries an owner asks to re-send; notification-service writes the
events of delivery outcomes, in the statement that records the outcome, and runs the dispatcher,
which records every attempt and disables an endpoint that keeps failing.

An event is stored only when some endpoint wants it, with one delivery per such endpoint; each
delivery is attempted until the endpoint answers 2xx or its retry window closes, and every
attempt is kept for its owner to look at.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from eccs.contracts.lifecycle import (
    DISABLED_BY_OWNER,
    DISABLED_FAILING,
    EventType,
    WebhookDeliveryStatus,
)
from eccs.contracts.tables import one_of
from eccs.platform.schema import Base


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint(
            f"disabled_reason IS NULL OR disabled_reason IN "
            f"('{DISABLED_BY_OWNER}', '{DISABLED_FAILING}')",
            name="disabled_reason",
        ),
        Index("ix_webhook_endpoints_user", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    # Where a notice goes when the endpoint is disabled for failing: its owner's address as it
    # was when the endpoint was last changed.
    owner_email: Mapped[str] = mapped_column(String(320))
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    # `whsec_` and the key in base64 (Standard Webhooks). After a rotation the previous secret
    # signs too, until it expires, so receivers can switch without losing events.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    notice_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Since when every attempt has failed (None after a success), and how many in a row.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookEvent(Base):
    """One event as its endpoints receive it: the payload is the request body's content."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        CheckConstraint(one_of("type", EventType), name="type"),
        Index("ix_webhook_events_user_created", "user_id", text("created_at DESC")),
        # Old events are purged by age.
        Index("ix_webhook_events_created", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(32))
    email_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    """One event for one endpoint: the dispatcher's queue (due pending rows)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(one_of("status", WebhookDeliveryStatus), name="status"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text(f"status = '{WebhookDeliveryStatus.PENDING.value}'"),
        ),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", text("created_at DESC")),
        Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))
    # The number of the latest attempt; taken before the attempt is made.
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    """One request to an endpoint and what came of it, for its owner to see."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_endpoint_at", "endpoint_id", text("at DESC")),
        Index("ix_webhook_attempts_delivery", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[uuid.UUID]
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The answer's status (none when there was no answer), how long it took, the start of its
    # body, and what went wrong when no answer came (a timeout, a refused address...).
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
