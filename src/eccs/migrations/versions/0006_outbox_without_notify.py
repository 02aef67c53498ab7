"""outbox: no NOTIFY on insert

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00

A transaction that sends a notification holds a database-wide lock from its commit until the
commit is on disk, so the trigger that notified the relay of every send made all sends commit
one after another. The relay is now woken by the process that wrote the rows, and polls for the
rest (see mail/outbox/relay.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP TRIGGER outbox_notify ON outbox")
    op.execute("DROP FUNCTION eccs_outbox_notify()")


def downgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION eccs_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('eccs_outbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox"
        " FOR EACH STATEMENT EXECUTE FUNCTION eccs_outbox_notify()"
    )
