"""throttle events (sign-ins and sign-ups) and the addresses accounts sign in from

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Counts of the old per-account rule mean nothing to the new rules: start them afresh.
    op.drop_index("ix_login_failures_scope_subject_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_events")),
    )
    op.create_index(
        "ix_throttle_events_scope_subject_at",
        "throttle_events",
        ["scope", "subject", "at"],
        unique=False,
    )
    op.create_table(
        "sign_in_addresses",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sign_in_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "address", name=op.f("pk_sign_in_addresses")),
    )
    op.create_index(
        op.f("ix_sign_in_addresses_last_at"), "sign_in_addresses", ["last_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_addresses_last_at"), table_name="sign_in_addresses")
    op.drop_table("sign_in_addresses")
    op.drop_index("ix_throttle_events_scope_subject_at", table_name="throttle_events")
    op.drop_table("throttle_events")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_scope_subject_at",
        "login_failures",
        ["scope", "subject", "at"],
        unique=False,
    )
