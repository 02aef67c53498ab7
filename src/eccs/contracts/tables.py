"""The tables email-service and notification-service share, defined once for both.

email-service writes emails, their recipients and attachments, and the outbox rows of new and
scheduled sends, owner retries and operator replays; notification-service writes the delivery
state (status, attempts, each recipient's answer) and the outbox rows of automatic retries and
dead letters. Which states exist, and which of them each step acts on, is `lifecycle`.

Suppressions are written by both: by email-service for what senders, operators, unsubscribe
links and complaints put there, by notification-service for addresses an SMTP server refused.
The webhook tables are in `webhook_tables`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
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
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from eccs.contracts.lifecycle import (
    IN_FLIGHT,
    EmailStatus,
    FailureReason,
    RecipientKind,
    RecipientStatus,
    SuppressionReason,
    sql_list,
)
from eccs.platform.schema import Base


def one_of(column: str, values: type[StrEnum]) -> str:
    """A check constraint's condition: the column holds one of the enum's values."""
    return f"{column} IN {sql_list(frozenset(values))}"


class Email(Base):
    __tablename__ = "emails"
    __table_args__ = (
        CheckConstraint(one_of("status", EmailStatus), name="status"),
        CheckConstraint(
            f"failure_reason IS NULL OR failure_reason IN {sql_list(frozenset(FailureReason))}",
            name="failure_reason",
        ),
        # A user's emails newest first (the list), also within a state (its status filter).
        Index("ix_emails_user_created", "user_id", text("created_at DESC"), text("id DESC")),
        Index("ix_emails_user_status_created", "user_id", "status", text("created_at DESC")),
        # Only sent emails are in it: an email gets into it once, when it is sent, rather than
        # with every change of its state before.
        Index(
            "ix_emails_user_sent",
            "user_id",
            "sent_at",
            postgresql_where=text("sent_at IS NOT NULL"),
        ),
        # The DLQ API lists failed emails by when they failed.
        Index(
            "ix_emails_failed",
            "failed_at",
            postgresql_where=text(f"status = '{EmailStatus.FAILED.value}'"),
        ),
        # The relay's visibility sweep looks only at emails in flight.
        Index(
            "ix_emails_in_flight",
            "updated_at",
            postgresql_where=text(f"status IN {sql_list(IN_FLIGHT)}"),
        ),
        # A one-click unsubscribe finds its email by the link's token.
        Index(
            "uq_emails_unsubscribe_token",
            "unsubscribe_token",
            unique=True,
            postgresql_where=text("unsubscribe_token IS NOT NULL"),
        ),
        # The emails of one batch (the list's batch view).
        Index(
            "ix_emails_user_batch",
            "user_id",
            "batch_id",
            postgresql_where=text("batch_id IS NOT NULL"),
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
    # What the list shows of each email, kept beside it: the list reads no other table.
    to_addresses: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    recipient_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    status: Mapped[str] = mapped_column(String(16))
    # `attempts` is the number of the latest attempt and never goes down, so every attempt has
    # its own number in the audit trail; an owner's retry or a replay starts a fresh budget by
    # moving `attempt_base` up to it (attempts used = attempts - attempt_base).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempt_base: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The API key it was sent with (none: sent by a person signed in), and that key's name then.
    api_key_id: Mapped[uuid.UUID | None]
    api_key_name: Mapped[str | None] = mapped_column(String(100))
    # Headers the sender added ([name, value] pairs, in order: X-*, List-*), and the Reply-To
    # that replaces the sender's own address.
    headers: Mapped[list[list[str]] | None] = mapped_column(JSONB)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    # The secret of the email's one-click unsubscribe link (List-Unsubscribe), when it has one.
    unsubscribe_token: Mapped[str | None] = mapped_column(String(64))
    # The batch (POST /api/emails/batch) it was sent in.
    batch_id: Mapped[uuid.UUID | None]


class Recipient(Base):
    __tablename__ = "email_recipients"
    __table_args__ = (
        CheckConstraint(one_of("kind", RecipientKind), name="kind"),
        CheckConstraint(one_of("status", RecipientStatus), name="status"),
        Index("ix_email_recipients_email", "email_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("emails.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(3))
    address: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(
        String(16), default=RecipientStatus.PENDING, server_default=RecipientStatus.PENDING.value
    )
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
        Index("ix_outbox_due", "available_at", postgresql_where=text("published_at IS NULL")),
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


class EmailCount(Base):
    """How many emails each user has in each state, kept by a trigger on `emails` (migration
    0004), so the list's total and the statistics never count rows, however many a user has.

    Spread over shards (the writing connection's backend) so that a user's concurrent sends and
    deliveries never wait on one row: a count is the sum over its shards.
    """

    __tablename__ = "email_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class SendCount(Base):
    """How many emails each user sent in each hour (the send quota), sharded like EmailCount."""

    __tablename__ = "send_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AccountErasure(Base):
    """An account deleted in auth-service whose emails, templates and contacts email-service
    still has to erase (contracts/erasure.py): auth-service writes the request in the
    transaction that deletes the account, email-service erases and then removes the row.

    `erased_at` is when the data went; `in_flight` lists the emails that were being delivered
    then, whose audit trail is anonymised once more after any attempt still running has ended.
    """

    __tablename__ = "account_erasures"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    in_flight: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), server_default="{}", default=list
    )


class Suppression(Base):
    """An address a sender's emails are no longer attempted to: recipients on it are
    `suppressed` at once, the others delivered. Addresses are kept in lower case."""

    __tablename__ = "suppressions"
    __table_args__ = (
        CheckConstraint(one_of("reason", SuppressionReason), name="reason"),
        Index("ix_suppressions_user_created", "user_id", text("created_at DESC")),
        # The operators' list of every sender's suppressions, newest first.
        Index("ix_suppressions_created", text("created_at DESC")),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))
    # The sender's address when it was added, so operators can tell whose list it is on.
    sender_email: Mapped[str] = mapped_column(String(320))
    # What put it there: the email refused, complained about or unsubscribed from, the SMTP
    # answer, or the sender's note.
    email_id: Mapped[uuid.UUID | None]
    smtp_code: Mapped[int | None] = mapped_column(SmallInteger)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
