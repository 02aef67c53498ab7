"""The table of the PostgreSQL audit store; written by notification-service."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eccs.platform.schema import Base


class AuditEventRow(Base):
    """One audit event, as the PostgreSQL store keeps it (used when no MongoDB is configured)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_email_at", "email_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email_id: Mapped[uuid.UUID]
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recipient: Mapped[str | None] = mapped_column(String(320))
    smtp_code: Mapped[int | None] = mapped_column(SmallInteger)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None]
    worker: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
