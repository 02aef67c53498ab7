"""suppressions, webhooks, batches, headers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:00:00

What senders rely on besides the send itself: each sender's suppression list (a recipient on it
is `suppressed`, never tried; an email nobody is left to try for fails as `suppressed`), webhook
endpoints with their events, deliveries and attempts, the batches of POST /api/emails/batch, and
per email the headers its sender added, its Reply-To and its one-click unsubscribe token.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


RECIPIENT_STATES = "'abandoned', 'accepted', 'pending', 'refused'"
FAILURE_REASONS = "'exhausted', 'expired', 'invalid', 'refused'"


def _states(recipient_states: str, failure_reasons: str) -> None:
    """The states a recipient and the failure reasons an email may have."""
    op.drop_constraint(op.f("ck_email_recipients_status"), "email_recipients", type_="check")
    op.create_check_constraint(
        op.f("ck_email_recipients_status"), "email_recipients", f"status IN ({recipient_states})"
    )
    op.drop_constraint(op.f("ck_emails_failure_reason"), "emails", type_="check")
    op.create_check_constraint(
        op.f("ck_emails_failure_reason"),
        "emails",
        f"failure_reason IS NULL OR failure_reason IN ({failure_reasons})",
    )


def upgrade() -> None:
    _states(f"{RECIPIENT_STATES}, 'suppressed'", f"{FAILURE_REASONS}, 'suppressed'")
    op.create_table(
        "email_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("size", sa.SmallInteger(), nullable=False),
        sa.Column("accepted", sa.SmallInteger(), nullable=False),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_batches")),
    )
    op.create_index(
        "ix_email_batches_user_created",
        "email_batches",
        ["user_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "suppressions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("sender_email", sa.String(length=320), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=True),
        sa.Column("smtp_code", sa.SmallInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('complaint', 'manual', 'refused', 'unsubscribed')",
            name=op.f("ck_suppressions_reason"),
        ),
        sa.PrimaryKeyConstraint("user_id", "address", name=op.f("pk_suppressions")),
    )
    op.create_index(
        "ix_suppressions_created",
        "suppressions",
        [sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index(
        "ix_suppressions_user_created",
        "suppressions",
        ["user_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("event_types", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.String(length=16), nullable=True),
        sa.Column("notice_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "disabled_reason IS NULL OR disabled_reason IN ('owner', 'failing')",
            name=op.f("ck_webhook_endpoints_disabled_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index("ix_webhook_endpoints_user", "webhook_endpoints", ["user_id"], unique=False)
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('email.complained', 'email.deferred', 'email.failed', 'email.sent', 'email.suppressed', 'email.unsubscribed', 'webhook.test')",
            name=op.f("ck_webhook_events_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    op.create_index("ix_webhook_events_created", "webhook_events", ["created_at"], unique=False)
    op.create_index(
        "ix_webhook_events_user_created",
        "webhook_events",
        ["user_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.SmallInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('delivered', 'failed', 'pending')",
            name=op.f("ck_webhook_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_deliveries_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_created",
        "webhook_deliveries",
        ["endpoint_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["event_id"], unique=False)
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        "ix_webhook_attempts_delivery", "webhook_attempts", ["delivery_id"], unique=False
    )
    op.create_index(
        "ix_webhook_attempts_endpoint_at",
        "webhook_attempts",
        ["endpoint_id", sa.literal_column("at DESC")],
        unique=False,
    )
    op.add_column(
        "emails", sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("emails", sa.Column("reply_to", sa.String(length=320), nullable=True))
    op.add_column("emails", sa.Column("unsubscribe_token", sa.String(length=64), nullable=True))
    op.add_column("emails", sa.Column("batch_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_emails_user_batch",
        "emails",
        ["user_id", "batch_id"],
        unique=False,
        postgresql_where=sa.text("batch_id IS NOT NULL"),
    )
    op.create_index(
        "uq_emails_unsubscribe_token",
        "emails",
        ["unsubscribe_token"],
        unique=True,
        postgresql_where=sa.text("unsubscribe_token IS NOT NULL"),
    )


def downgrade() -> None:
    # Both are final, as a refusal is.
    op.execute("UPDATE email_recipients SET status = 'refused' WHERE status = 'suppressed'")
    op.execute("UPDATE emails SET failure_reason = 'refused' WHERE failure_reason = 'suppressed'")
    _states(RECIPIENT_STATES, FAILURE_REASONS)
    op.drop_index(
        "uq_emails_unsubscribe_token",
        table_name="emails",
        postgresql_where=sa.text("unsubscribe_token IS NOT NULL"),
    )
    op.drop_index(
        "ix_emails_user_batch",
        table_name="emails",
        postgresql_where=sa.text("batch_id IS NOT NULL"),
    )
    op.drop_column("emails", "batch_id")
    op.drop_column("emails", "unsubscribe_token")
    op.drop_column("emails", "reply_to")
    op.drop_column("emails", "headers")
    op.drop_index("ix_webhook_attempts_endpoint_at", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_delivery", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_event", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_endpoint_created", table_name="webhook_deliveries")
    op.drop_index(
        "ix_webhook_deliveries_due",
        table_name="webhook_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_events_user_created", table_name="webhook_events")
    op.drop_index("ix_webhook_events_created", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_webhook_endpoints_user", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_suppressions_user_created", table_name="suppressions")
    op.drop_index("ix_suppressions_created", table_name="suppressions")
    op.drop_table("suppressions")
    op.drop_index("ix_email_batches_user_created", table_name="email_batches")
    op.drop_table("email_batches")
