"""emails: only sent emails in the index of sending times

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00

Every change of an email's state writes a new version of its row, and each index gets an entry
for it unless the index leaves it out. The index of sending times was written three times per
email before it had a sending time; now only once, when it is sent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_emails_user_sent", table_name="emails")
    op.create_index(
        "ix_emails_user_sent",
        "emails",
        ["user_id", "sent_at"],
        postgresql_where=sa.text("sent_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_emails_user_sent", table_name="emails")
    op.create_index("ix_emails_user_sent", "emails", ["user_id", "sent_at"])
