"""All SQL about emails, their recipients, attachments and outbox rows.

The send path uses plain INSERT statements (no ORM unit of work): it is the hottest path we have.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    Table,
    Text,
    TextClause,
    Uuid,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.models import Attachment, Email, OutboxEntry, Recipient
from eccs.platform.db import Base


class EmailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(
        self,
        email: dict[str, Any],
        recipients: list[dict[str, Any]],
        attachments: list[dict[str, Any]],
        outbox: dict[str, Any],
    ) -> None:
        """The email, its recipients and its outbox row in one statement (one round trip)."""
        await self.session.execute(
            _INSERT_SEND,
            {
                **email,
                "positions": [r["position"] for r in recipients],
                "kinds": [r["kind"] for r in recipients],
                "addresses": [r["address"] for r in recipients],
                **{f"outbox_{name}": value for name, value in outbox.items()},
            },
        )
        if attachments:
            await self.session.execute(insert(_table(Attachment)), attachments)

    async def created_since(self, user_id: uuid.UUID, since: datetime, cap: int) -> int:
        """How many emails a user created since a time, counting no further than `cap`.

        The cap keeps the quota check cheap however many emails a user sends: it reads at most
        `cap` entries of the (user_id, created_at) index.
        """
        # Fixed SQL: built once, where the same query made of ORM constructs cost more CPU per
        # send than the insert itself (bench/README.md).
        counted = await self.session.execute(
            _COUNT_SINCE, {"user_id": user_id, "since": since, "cap": cap}
        )
        return int(counted.scalar_one())

    async def nth_newest_since(
        self, user_id: uuid.UUID, since: datetime, n: int
    ) -> datetime | None:
        """The creation time of the n-th newest email since a time (when the quota frees up)."""
        query = (
            select(Email.created_at)
            .where(Email.user_id == user_id, Email.created_at > since)
            .order_by(Email.created_at.desc())
            .offset(n - 1)
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get(self, user_id: uuid.UUID, email_id: uuid.UUID) -> Email | None:
        query = select(Email).where(Email.id == email_id, Email.user_id == user_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def recipients(self, email_id: uuid.UUID) -> Sequence[Recipient]:
        query = select(Recipient).where(Recipient.email_id == email_id).order_by(Recipient.position)
        return (await self.session.execute(query)).scalars().all()

    async def attachments(self, email_id: uuid.UUID) -> Sequence[Row[str, str, int]]:
        query = (
            select(Attachment.filename, Attachment.content_type, Attachment.size)
            .where(Attachment.email_id == email_id)
            .order_by(Attachment.position)
        )
        return (await self.session.execute(query)).all()

    async def change_status(
        self,
        user_id: uuid.UUID,
        email_id: uuid.UUID,
        allowed: tuple[str, ...],
        new: str,
        now: datetime,
    ) -> bool:
        """Move an email to a new state if it is in one of the allowed states."""
        query = (
            update(Email)
            .where(Email.id == email_id, Email.user_id == user_id, Email.status.in_(allowed))
            .values(status=new, updated_at=now)
            .returning(Email.id)
        )
        return (await self.session.execute(query)).first() is not None

    async def drop_pending_outbox(self, *email_ids: uuid.UUID) -> None:
        """Forget the delivery requests of these emails that the relay has not published yet."""
        await self.session.execute(
            delete(OutboxEntry).where(
                OutboxEntry.email_id.in_(email_ids), OutboxEntry.published_at.is_(None)
            )
        )

    async def add_outbox(self, rows: list[dict[str, Any]]) -> None:
        await self.session.execute(insert(OutboxEntry), rows)

    async def lock(self, email_id: uuid.UUID) -> Row[str, int] | None:
        """Any user's email's status and latest attempt, its row locked until the transaction
        ends (for operators)."""
        query = select(Email.status, Email.attempts).where(Email.id == email_id).with_for_update()
        return (await self.session.execute(query)).one_or_none()

    async def get_any(self, email_id: uuid.UUID) -> Email | None:
        """Any user's email (for operators)."""
        return (await self.session.execute(select(Email).where(Email.id == email_id))).scalar()

    async def stop(self, email_id: uuid.UUID, status: str, now: datetime) -> None:
        """End an email in `status`: its recipients without an answer are given up on and its
        waiting delivery requests withdrawn."""
        await self.session.execute(
            update(Email).where(Email.id == email_id).values(status=status, updated_at=now)
        )
        await self.session.execute(
            update(Recipient)
            .where(Recipient.email_id == email_id, Recipient.status == "pending")
            .values(status="abandoned", updated_at=now)
        )
        await self.drop_pending_outbox(email_id)

    async def lock_status(self, user_id: uuid.UUID, email_id: uuid.UUID) -> str | None:
        """A user's email's status, its row locked until the transaction ends (None: no such)."""
        query = (
            select(Email.status)
            .where(Email.id == email_id, Email.user_id == user_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def reopen_failed(
        self, email_ids: Sequence[uuid.UUID], now: datetime
    ) -> dict[uuid.UUID, int]:
        """Queue failed emails again with a fresh attempt budget; each one's latest attempt."""
        query = (
            update(Email)
            .where(Email.id.in_(email_ids), Email.status == "failed", has_recipient_to_retry())
            .values(
                status="queued",
                attempt_base=Email.attempts,
                failure_reason=None,
                failed_at=None,
                last_error=None,
                # An expiry already past would fail the new attempt at once as expired.
                expires_at=case((Email.expires_at <= now, None), else_=Email.expires_at),
                updated_at=now,
            )
            .returning(Email.id, Email.attempts)
            .execution_options(synchronize_session=False)
        )
        return {row.id: row.attempts for row in await self.session.execute(query)}

    async def reopen_recipients(self, email_ids: Sequence[uuid.UUID], now: datetime) -> None:
        """Recipients given up on go back to `pending`; their last SMTP answer is kept."""
        await self.session.execute(
            update(Recipient)
            .where(Recipient.email_id.in_(email_ids), Recipient.status == "abandoned")
            .values(status="pending", updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def page(
        self, user_id: uuid.UUID, statuses: Sequence[str], q: str | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Row[Any]]]:
        count, page = _page_statements(by_status=bool(statuses), by_text=bool(q))
        params: dict[str, Any] = {"user_id": user_id, "offset": offset, "limit": limit}
        if statuses:
            params["statuses"] = statuses
        if q:
            params["pattern"] = _contains(q)
        total = (await self.session.execute(count, params)).scalar_one()
        return int(total), (await self.session.execute(page, params)).all()

    async def count_by_status(self, user_id: uuid.UUID) -> dict[str, int]:
        query = (
            select(Email.status, func.count())
            .where(Email.user_id == user_id)
            .group_by(Email.status)
        )
        return {status: int(count) for status, count in (await self.session.execute(query)).all()}

    async def series(
        self, user_id: uuid.UUID, unit: str, since: datetime, until: datetime
    ) -> Sequence[Row[Any, Any, Any]]:
        """Sent and failed counts per UTC hour or day, zero-filled, from `since` to `until`."""
        # A sent email counts when it was sent; a failed one when it failed (its last update).
        finished_at = func.coalesce(Email.sent_at, Email.updated_at)
        bucket = func.date_trunc(unit, finished_at, "UTC")
        step = f"1 {unit}"
        grid = select(
            func.generate_series(
                func.date_trunc(unit, since, "UTC"),
                func.date_trunc(unit, until, "UTC"),
                literal_column(f"interval '{step}'"),
            ).label("start")
        ).subquery()
        counts = (
            select(
                bucket.label("start"),
                func.count().filter(Email.status == "sent").label("sent"),
                func.count().filter(Email.status == "failed").label("failed"),
            )
            .where(
                Email.user_id == user_id,
                Email.status.in_(("sent", "failed")),
                finished_at >= func.date_trunc(unit, since, "UTC"),
            )
            .group_by(bucket)
            .subquery()
        )
        query = (
            select(grid.c.start, func.coalesce(counts.c.sent, 0), func.coalesce(counts.c.failed, 0))
            .select_from(grid.outerjoin(counts, counts.c.start == grid.c.start))
            .order_by(grid.c.start)
        )
        return (await self.session.execute(query)).all()

    async def sent_since(self, user_id: uuid.UUID, since: datetime) -> int:
        query = select(func.count()).where(
            Email.user_id == user_id, Email.status == "sent", Email.sent_at >= since
        )
        return int((await self.session.execute(query)).scalar_one())


def _contains(q: str) -> str:
    """An ILIKE pattern for text containing `q` literally (its % and _ match only themselves)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@functools.cache
def _page_statements(*, by_status: bool, by_text: bool) -> tuple[TextClause, TextClause]:
    """The count and the page of a user's emails, as fixed SQL per combination of filters.

    Listing is a hot path: statements built from ORM constructs on every request cost more CPU
    than PostgreSQL spends answering them (bench/README.md). Only parameters vary.
    """
    where = "e.user_id = :user_id"
    if by_status:
        where += " AND e.status = ANY(CAST(:statuses AS text[]))"
    if by_text:
        where += (
            " AND (e.subject ILIKE :pattern OR EXISTS (SELECT 1 FROM email_recipients r"
            " WHERE r.email_id = e.id AND r.address ILIKE :pattern))"
        )
    count = text(f"SELECT count(*) FROM emails e WHERE {where}")  # noqa: S608 (fixed fragments)
    page = text(
        f"""
        SELECT e.id, e.subject, e.status, e.attempts, e.created_at, e.scheduled_at, e.sent_at,
               COALESCE((SELECT array_agg(r.address ORDER BY r.position) FROM email_recipients r
                         WHERE r.email_id = e.id AND r.kind = 'to'), '{{}}') AS "to",
               (SELECT count(*) FROM email_recipients r WHERE r.email_id = e.id) AS recipients
        FROM emails e
        WHERE {where}
        ORDER BY e.created_at DESC, e.id DESC
        OFFSET :offset LIMIT :limit
        """  # noqa: S608 (fixed fragments; every value is a parameter)
    )
    return count, page


def has_recipient_to_retry() -> ColumnElement[bool]:
    """The email has a recipient that was given up on (attempts exhausted or expired).

    A refusal (SMTP 5xx) is a final answer and is never tried again, not even by an owner's
    retry or an operator's replay: an email every recipient refused has nothing left to retry.
    """
    return (
        select(Recipient.id)
        .where(Recipient.email_id == Email.id, Recipient.status == "abandoned")
        .exists()
    )


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


# The hot path of POST /api/emails/send. Data-modifying CTEs run as one statement, so the
# recipients' foreign key sees the email inserted beside them (checked at the statement's end).
_COUNT_SINCE = text(
    """
    SELECT count(*) FROM (
        SELECT 1 FROM emails WHERE user_id = :user_id AND created_at > :since LIMIT :cap
    ) AS recent
    """
).bindparams(bindparam("user_id", type_=Uuid), bindparam("since", type_=DateTime(timezone=True)))

_INSERT_SEND = text(
    """
    WITH email AS (
        INSERT INTO emails (id, user_id, sender_name, sender_email, subject, text_body,
                            html_body, template_id, status, scheduled_at, expires_at,
                            created_at, updated_at)
        VALUES (:id, :user_id, :sender_name, :sender_email, :subject, :text_body, :html_body,
                :template_id, :status, :scheduled_at, :expires_at, :created_at, :updated_at)
    ), recipients AS (
        INSERT INTO email_recipients (email_id, position, kind, address)
        SELECT :id, position, kind, address
        FROM unnest(CAST(:positions AS smallint[]), CAST(:kinds AS text[]),
                    CAST(:addresses AS text[])) AS r(position, kind, address)
    )
    INSERT INTO outbox (email_id, topic, key, payload, headers, available_at)
    VALUES (:outbox_email_id, :outbox_topic, :outbox_key, :outbox_payload, :outbox_headers,
            :outbox_available_at)
    """
).bindparams(
    bindparam("outbox_payload", type_=JSONB),
    bindparam("outbox_headers", type_=JSONB),
    bindparam("template_id", type_=Uuid),
    bindparam("scheduled_at", type_=DateTime(timezone=True)),
    bindparam("expires_at", type_=DateTime(timezone=True)),
    bindparam("text_body", type_=Text),
    bindparam("html_body", type_=Text),
)
