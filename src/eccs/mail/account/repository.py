"""All SQL about a person's data as a whole: erasing a deleted account's, exporting one's own.

Both read what auth-service keeps about the person where docs/architecture.md allows it: the
export reads the profile (`users`) and the API keys' listing columns (`api_keys`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eccs.contracts.lifecycle import UNFINISHED
from eccs.platform.db import Connection


class ErasureRepository:
    """The requests of contracts/erasure.py, and the rows they erase."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def next_pending(self) -> uuid.UUID | None:
        """The oldest account still to erase that no other process is erasing, locked."""
        found: uuid.UUID | None = await self.connection.fetchval(
            "SELECT user_id FROM account_erasures WHERE erased_at IS NULL"
            " ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        return found

    async def emails_of(
        self, user_id: uuid.UUID, limit: int
    ) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        """Up to `limit` of the account's emails, and which of them were not finished."""
        rows = await self.connection.fetch(
            "SELECT id, status = ANY($2::text[]) AS unfinished FROM emails WHERE user_id = $1"
            " LIMIT $3",
            user_id,
            list(UNFINISHED),
            limit,
        )
        return [row["id"] for row in rows], [row["id"] for row in rows if row["unfinished"]]

    async def delete_emails(self, email_ids: Sequence[uuid.UUID]) -> None:
        """The emails (their recipients and attachments go with them) and their delivery
        requests: one not delivered yet is never sent, one being delivered is not recorded."""
        await self.connection.execute(
            "DELETE FROM outbox WHERE email_id = ANY($1::uuid[])", list(email_ids)
        )
        await self.connection.execute(
            "DELETE FROM emails WHERE id = ANY($1::uuid[])", list(email_ids)
        )

    async def remember_in_flight(self, user_id: uuid.UUID, email_ids: Sequence[uuid.UUID]) -> None:
        await self.connection.execute(
            "UPDATE account_erasures SET in_flight = in_flight || $2::uuid[] WHERE user_id = $1",
            user_id,
            list(email_ids),
        )

    async def delete_the_rest(self, user_id: uuid.UUID, now: datetime) -> None:
        """Templates, contacts, idempotency keys, counters, batches, the suppression list and
        webhooks; the request is marked done."""
        for table in (
            "templates",
            "contacts",
            "idempotency_keys",
            "email_counts",
            "send_counts",
            "email_batches",
            "suppressions",
            "webhook_events",
            "webhook_endpoints",  # with their deliveries and attempts
        ):
            await self.connection.execute(f"DELETE FROM {table} WHERE user_id = $1", user_id)
        await self.connection.execute(
            "UPDATE account_erasures SET erased_at = $2 WHERE user_id = $1", user_id, now
        )

    async def settled(self, erased_before: datetime) -> list[Any]:
        """Erased accounts whose deliveries in flight have surely ended, locked."""
        return await self.connection.fetch(
            "SELECT user_id, in_flight FROM account_erasures WHERE erased_at < $1"
            " FOR UPDATE SKIP LOCKED",
            erased_before,
        )

    async def forget(self, user_id: uuid.UUID) -> None:
        await self.connection.execute("DELETE FROM account_erasures WHERE user_id = $1", user_id)


class ExportRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def profile(self, user_id: uuid.UUID) -> Any:
        return await self.connection.fetchrow(
            "SELECT id, email, name, role, email_verified_at IS NOT NULL AS email_verified,"
            " created_at FROM users WHERE id = $1",
            user_id,
        )

    async def api_keys(self, user_id: uuid.UUID) -> list[Any]:
        return await self.connection.fetch(
            "SELECT name, prefix, scopes, created_at, expires_at, last_used_at FROM api_keys"
            " WHERE user_id = $1 ORDER BY created_at",
            user_id,
        )

    async def templates(self, user_id: uuid.UUID) -> list[Any]:
        return await self.connection.fetch(
            "SELECT id, name, subject, html, text, created_at, updated_at FROM templates"
            " WHERE user_id = $1 ORDER BY created_at, id",
            user_id,
        )

    async def contacts(self, user_id: uuid.UUID) -> list[Any]:
        return await self.connection.fetch(
            "SELECT id, email, name, created_at, updated_at FROM contacts"
            " WHERE user_id = $1 ORDER BY created_at, id",
            user_id,
        )

    async def suppressions(self, user_id: uuid.UUID) -> list[Any]:
        return await self.connection.fetch(
            "SELECT address, reason, created_at, email_id, smtp_code, detail FROM suppressions"
            " WHERE user_id = $1 ORDER BY created_at, address",
            user_id,
        )

    async def webhook_endpoints(self, user_id: uuid.UUID) -> list[Any]:
        """The endpoints without their secrets (a secret is shown once, never exported)."""
        return await self.connection.fetch(
            "SELECT id, url, description, event_types AS events, disabled_at IS NULL AS enabled,"
            " created_at FROM webhook_endpoints WHERE user_id = $1 ORDER BY created_at, id",
            user_id,
        )

    async def emails_after(
        self, user_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[Any]:
        """The account's emails oldest first, from just after `after` (created_at, id)."""
        since, last_id = after if after else (None, None)
        return await self.connection.fetch(
            "SELECT id, subject, status, failure_reason, text_body AS text, html_body AS html,"
            " template_id, created_at, scheduled_at, expires_at, sent_at, api_key_id,"
            " api_key_name FROM emails"
            " WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))"
            " ORDER BY created_at, id LIMIT $4",
            user_id,
            since,
            last_id,
            limit,
        )

    async def recipients_of(self, email_ids: Sequence[uuid.UUID]) -> list[Any]:
        return await self.connection.fetch(
            "SELECT email_id, address, kind, status, attempts, smtp_code, smtp_reply, updated_at"
            " FROM email_recipients WHERE email_id = ANY($1::uuid[]) ORDER BY email_id, position",
            list(email_ids),
        )

    async def attachments_of(self, email_ids: Sequence[uuid.UUID]) -> list[Any]:
        return await self.connection.fetch(
            "SELECT email_id, filename, content_type, size FROM email_attachments"
            " WHERE email_id = ANY($1::uuid[]) ORDER BY email_id, position",
            list(email_ids),
        )
