"""Tables owned by email-service (delivery state columns are written by notification-service)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from eccs.platform.db import Base

EMAIL_STATES = ("scheduled", "queued", "sending", "retrying", "sent", "failed", "cancelled")
RECIPIENT_STATES = ("pending", "accepted", "refused", "abandoned")
RECIPIENT_KINDS = ("to", "cc", "bcc")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Email(Base):
    __tablename__ = "emails"
    __table_args__ = (
        CheckConstraint(_one_of("status", EMAIL_STATES), name="status"),
        Index("ix_emails_user_created", "user_id", text("created_at DESC")),
        Index("ix_emails_user_status", "user_id", "status"),
        Index("ix_emails_user_sent", "user_id", "sent_at"),
        # The DLQ API lists failed emails by when they failed.
        Index("ix_emails_failed", "failed_at", postgresql_where=text("status = 'failed'")),
        # The relay's visibility sweep looks only at emails in flight.
        Index(
            "ix_emails_in_flight",
            "updated_at",
            postgresql_where=text("status IN ('queued', 'sending')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(16))
    # `attempts` is the number of the latest attempt and never goes down, so every attempt has
    # its own number in the audit trail; an owner's retry or a replay starts a fresh budget by
    # moving `attempt_base` up to it (budget left = max attempts - (attempts - attempt_base)).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempt_base: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    # Why a `failed` email failed: refused, exhausted, expired or invalid.
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Recipient(Base):
    __tablename__ = "email_recipients"
    __table_args__ = (
        CheckConstraint(_one_of("kind", RECIPIENT_KINDS), name="kind"),
        CheckConstraint(_one_of("status", RECIPIENT_STATES), name="status"),
        Index("ix_email_recipients_email", "email_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("emails.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(3))
    address: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    smtp_code: Mapped[int | None] = mapped_column(SmallInteger)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Attachment(Base):
    __tablename__ = "email_attachments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("emails.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class OutboxEntry(Base):
    """A message to publish once committed and due; the relay marks it published."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "available_at",
            postgresql_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_email", "email_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email_id: Mapped[uuid.UUID]
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Template(Base):
    __tablename__ = "templates"
    __table_args__ = (
        Index("uq_templates_user_name", "user_id", func.lower(text("name")), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("uq_contacts_user_email", "user_id", func.lower(text("email")), unique=True),
        Index(
            "ix_contacts_user_email_prefix",
            "user_id",
            text("lower(email) text_pattern_ops"),
        ),
        Index(
            "ix_contacts_user_name_prefix",
            "user_id",
            text("lower(name) text_pattern_ops"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IdempotencyKey(Base):
    """A finished request's answer, replayed for the same key and body for 24 hours."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    response_status: Mapped[int] = mapped_column(SmallInteger)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
