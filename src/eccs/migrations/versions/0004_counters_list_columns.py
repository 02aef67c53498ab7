"""counters: emails per user and state (kept by a trigger), sends per user and hour; the list's
columns on the email itself

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:00:00

Counting a user's emails (the list's total, the statistics, the hourly quota) used to read one
index entry per email: its cost grew with the user's volume. The counts are now kept as they
change, spread over shards so that a user's concurrent writes never wait on one row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The shard a writing connection updates: its backend's, so concurrent writers of one user's
# counts almost never meet on a row.
SHARDS = 64

COUNT_EMAILS = f"""
CREATE FUNCTION eccs_count_emails() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Statement-level, over the statement's old and new rows: one upsert per user and state
    -- whose count changed, however many rows the statement touched.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO email_counts (user_id, status, shard, count)
        SELECT user_id, status, pg_backend_pid() % {SHARDS}, count(*) FROM new_rows
        GROUP BY user_id, status
        ON CONFLICT (user_id, status, shard)
        DO UPDATE SET count = email_counts.count + excluded.count;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO email_counts (user_id, status, shard, count)
        SELECT user_id, status, pg_backend_pid() % {SHARDS}, -count(*) FROM old_rows
        GROUP BY user_id, status
        ON CONFLICT (user_id, status, shard)
        DO UPDATE SET count = email_counts.count + excluded.count;
    ELSE
        INSERT INTO email_counts (user_id, status, shard, count)
        SELECT user_id, status, pg_backend_pid() % {SHARDS}, sum(delta) FROM (
            SELECT user_id, status, -1 AS delta FROM old_rows
            UNION ALL
            SELECT user_id, status, 1 AS delta FROM new_rows
        ) AS changes
        GROUP BY user_id, status HAVING sum(delta) <> 0
        ON CONFLICT (user_id, status, shard)
        DO UPDATE SET count = email_counts.count + excluded.count;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.add_column(
        "emails",
        sa.Column("to_addresses", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(
        "emails",
        sa.Column("recipient_count", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.execute(
        """
        UPDATE emails e SET
            to_addresses = COALESCE((SELECT array_agg(r.address ORDER BY r.position)
                                     FROM email_recipients r
                                     WHERE r.email_id = e.id AND r.kind = 'to'), '{}'),
            recipient_count = (SELECT count(*) FROM email_recipients r WHERE r.email_id = e.id)
        """
    )
    op.drop_index("ix_emails_user_status", table_name="emails")
    op.drop_index("ix_emails_user_created", table_name="emails")
    op.create_index(
        "ix_emails_user_created",
        "emails",
        ["user_id", sa.text("created_at DESC"), sa.text("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_emails_user_status_created",
        "emails",
        ["user_id", "status", sa.text("created_at DESC")],
        unique=False,
    )
    op.create_check_constraint(
        op.f("ck_emails_failure_reason"),
        "emails",
        "failure_reason IS NULL OR failure_reason IN"
        " ('exhausted', 'expired', 'invalid', 'refused')",
    )
    op.create_table(
        "email_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "status", "shard", name=op.f("pk_email_counts")),
    )
    op.execute(
        "INSERT INTO email_counts (user_id, status, shard, count)"
        " SELECT user_id, status, 0, count(*) FROM emails GROUP BY user_id, status"
    )
    op.execute(COUNT_EMAILS)
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER emails_counted_{event.lower()} AFTER {event} ON emails"
            f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION eccs_count_emails()"
        )
    op.create_table(
        "send_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "hour", "shard", name=op.f("pk_send_counts")),
    )
    op.execute(
        "INSERT INTO send_counts (user_id, hour, shard, count)"
        " SELECT user_id, date_trunc('hour', created_at), 0, count(*) FROM emails"
        " WHERE created_at > now() - interval '2 hours'"
        " GROUP BY user_id, date_trunc('hour', created_at)"
    )


def downgrade() -> None:
    op.drop_table("send_counts")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER emails_counted_{event} ON emails")
    op.execute("DROP FUNCTION eccs_count_emails()")
    op.drop_table("email_counts")
    op.drop_constraint(op.f("ck_emails_failure_reason"), "emails", type_="check")
    op.drop_index("ix_emails_user_status_created", table_name="emails")
    op.create_index("ix_emails_user_status", "emails", ["user_id", "status"], unique=False)
    op.drop_index("ix_emails_user_created", table_name="emails")
    op.create_index(
        "ix_emails_user_created", "emails", ["user_id", sa.text("created_at DESC")], unique=False
    )
    op.drop_column("emails", "recipient_count")
    op.drop_column("emails", "to_addresses")
