"""Lists and statistics over one user's emails. No answer here counts rows: totals and counts
by state come from the counters the database keeps (contracts/tables.py, EmailCount)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from eccs.contracts.lifecycle import EmailStatus
from eccs.mail.emails.repository import EmailRepository
from eccs.mail.emails.schemas import EmailStats, SeriesPoint
from eccs.platform.db import Connection
from eccs.platform.security import Principal


class EmailQueries:
    def __init__(self, connection: Connection) -> None:
        self.emails = EmailRepository(connection)

    async def page(
        self,
        user_id: uuid.UUID,
        statuses: Sequence[str],
        q: str | None,
        page: int,
        page_size: int,
        batch_id: uuid.UUID | None = None,
    ) -> bytes:
        """A page as `EmailPage`'s JSON, its items as PostgreSQL wrote them: building and
        checking a hundred models for each page was most of a list's cost."""
        offset = (page - 1) * page_size
        total, items = await self.emails.page(user_id, statuses, q, offset, page_size, batch_id)
        rest = f',"total":{total},"page":{page},"page_size":{page_size}}}'
        return b'{"items":' + items.encode() + rest.encode()

    async def stats(self, user: Principal) -> EmailStats:
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Every status is listed, zeros included, so clients need not know the full set.
        by_status = dict.fromkeys(EmailStatus, 0)
        counts = await self.emails.count_by_status(user.id)
        by_status.update({EmailStatus(state): n for state, n in counts.items()})
        hourly = await self.emails.series(user.id, "hour", now - timedelta(hours=23), now)
        daily = await self.emails.series(user.id, "day", now - timedelta(days=29), now)
        return EmailStats(
            by_status=by_status,
            total=sum(by_status.values()),
            sent_today=await self.emails.sent_since(user.id, today),
            hourly=[_point(row) for row in hourly],
            daily=[_point(row) for row in daily],
        )


def _point(row: Any) -> SeriesPoint:
    return SeriesPoint(start=row["start"], sent=int(row["sent"]), failed=int(row["failed"]))
