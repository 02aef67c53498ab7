"""emails: the planner assumes many emails per user

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 22:50:00

A new deployment's first emails are the accounts' own, about one per user. Statistics taken
then say each user has one email, and until they are taken again, a plan for a user's list
that reads all of that user's emails and sorts them looks as cheap as reading the newest
hundred in order: after a burst of sends, a page read 33,000 rows. The number of distinct
senders is set to a thousandth of the emails, which ANALYZE keeps, so a user is always assumed
to have many.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE emails ALTER COLUMN user_id SET (n_distinct = -0.001)")
    op.execute("ANALYZE emails")


def downgrade() -> None:
    op.execute("ALTER TABLE emails ALTER COLUMN user_id RESET (n_distinct)")
    op.execute("ANALYZE emails")
