"""All SQL of the notification worker: claiming an attempt, reading the email, recording outcomes.

The worker shares the email tables with email-service (contracts/tables.py) and writes only the
delivery state: status, attempts, each recipient's answer, and the outbox rows of retries and
dead letters.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from eccs.contracts import outbox
from eccs.contracts.lifecycle import (
    CLAIMABLE,
    FINAL,
    EmailStatus,
    FailureReason,
    RecipientKind,
    RecipientStatus,
)
from eccs.contracts.outbox import OutboxRow
from eccs.delivery.composing import Attachment, OutgoingEmail
from eccs.platform.db import Connection, Record


@dataclass(frozen=True)
class Claim:
    """An attempt of an email this worker now owns (the email is `sending`)."""

    email: OutgoingEmail
    attempt: int
    attempt_base: int
    expires_at: datetime | None
    # The recipients still without a final answer, with their row ids: this attempt's envelope.
    pending: dict[str, int]
    # Whether a recipient accepted it in an earlier attempt (then it closes as `sent`).
    accepted_before: bool

    @property
    def attempts_used(self) -> int:
        """Attempts spent from the current budget (an owner retry or replay starts a new one)."""
        return self.attempt - self.attempt_base


@dataclass(frozen=True)
class RecipientChange:
    """One recipient's new state after an attempt. `closing` marks a recipient given up on
    because the email closes: written only while the attempt is still this worker's."""

    id: int
    status: RecipientStatus
    code: int | None
    reply: str | None
    answered: bool
    closing: bool = False


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt leaves in the database: the email's state, each recipient's, and the
    outbox row it leads to (the next attempt, or the dead letter)."""

    status: EmailStatus
    reason: FailureReason | None
    last_error: str | None
    recipients: list[RecipientChange]
    request: OutboxRow | None


# The attempts asked for, each with its email, recipients and attachments, in one round trip.
# An attempt is taken only while its email waits for it: a redelivered message, a cancelled email
# or an attempt already finished is not (the email's `attempts` is one less than the attempt's).
_CLAIM = """
WITH wanted AS (
    SELECT * FROM unnest($1::uuid[], $2::int[]) AS w(id, attempt)
), claimed AS (
    UPDATE emails e SET status = $3, attempts = w.attempt, updated_at = now()
    FROM wanted w
    WHERE e.id = w.id AND e.status = ANY($4::text[]) AND e.attempts = w.attempt - 1
    RETURNING e.id, e.attempts, e.attempt_base, e.sender_name, e.sender_email, e.subject,
              e.text_body, e.html_body, e.expires_at, e.created_at
)
SELECT c.*,
       (SELECT array_agg((r.id, r.kind, r.address, r.status) ORDER BY r.position)
        FROM email_recipients r WHERE r.email_id = c.id) AS recipients,
       (SELECT array_agg((a.filename, a.content_type, a.content) ORDER BY a.position)
        FROM email_attachments a WHERE a.email_id = c.id) AS attachments
FROM claimed c
"""

# The results of many attempts in one statement: each email's state only while its attempt is
# still this worker's (an operator may have abandoned it, or the visibility sweep given it to
# another attempt); the recipients' answers in any case (they are what the relay said), but not
# the give-ups of a close that did not happen; the outbox rows only with their email's state.
_RECORD = f"""
WITH result AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[])
        AS r(id, attempt, status, last_error, reason)
), owned AS (
    UPDATE emails e SET status = r.status, last_error = r.last_error, failure_reason = r.reason,
        updated_at = now(),
        sent_at = CASE WHEN r.status = $6::text THEN now() ELSE e.sent_at END,
        failed_at = CASE WHEN r.status = $7::text THEN now() ELSE NULL END
    FROM result r
    WHERE e.id = r.id AND e.attempts = r.attempt AND e.status = $8
    RETURNING e.id, e.attempts
), recipients AS (
    UPDATE email_recipients t
    SET status = c.status, attempts = t.attempts + c.answered::int,
        smtp_code = coalesce(c.code, t.smtp_code), smtp_reply = coalesce(c.reply, t.smtp_reply),
        updated_at = now()
    FROM unnest($9::uuid[], $10::bigint[], $11::text[], $12::smallint[], $13::text[],
                $14::bool[], $15::bool[]) AS c(email_id, id, status, code, reply, answered, closing)
    WHERE t.id = c.id AND t.status = $16
      AND (NOT c.closing OR c.email_id IN (SELECT id FROM owned))
), requests AS (
    {outbox.insert_sql(17, only_if="new_row.email_id IN (SELECT id FROM owned)")}
)
SELECT id, attempts FROM owned
"""


class DeliveryRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def claim(self, wanted: Sequence[tuple[uuid.UUID, int]]) -> list[Claim | None]:
        """Take each (email id, attempt) that is due; None for one that is not.

        `scheduled` and `retrying` emails count as waiting: the relay moves them to `queued`
        only after the broker has the message, and the message may be read before that. Asked
        for twice in one batch, an attempt is taken once: the second answer is None.
        """
        rows = await self.connection.fetch(
            _CLAIM,
            [email_id for email_id, _ in wanted],
            [attempt for _, attempt in wanted],
            EmailStatus.SENDING,
            list(CLAIMABLE),
        )
        taken = {(row["id"], row["attempts"]): row for row in rows}
        return [_claim_of(row) if (row := taken.pop(key, None)) else None for key in wanted]

    async def record(
        self, attempts: Sequence[tuple[Claim, AttemptResult]]
    ) -> set[tuple[uuid.UUID, int]]:
        """Write attempts' results; answers the (email id, attempt) of those that were still
        this worker's (for the others only the recipients' answers were recorded).

        Two attempts of one email (one superseded by the other) go in separate statements: in
        one, the email's outbox rows and give-ups could not tell which attempt owns it.
        """
        owned: set[tuple[uuid.UUID, int]] = set()
        for distinct in _one_per_email(attempts):
            owned |= await self._record_distinct(distinct)
        return owned

    async def _record_distinct(
        self, attempts: Sequence[tuple[Claim, AttemptResult]]
    ) -> set[tuple[uuid.UUID, int]]:
        changes = [
            (claim.email.email_id, change)
            for claim, result in attempts
            for change in result.recipients
        ]
        requests = [result.request for _, result in attempts if result.request is not None]
        rows = await self.connection.fetch(
            _RECORD,
            [claim.email.email_id for claim, _ in attempts],
            [claim.attempt for claim, _ in attempts],
            [result.status for _, result in attempts],
            [result.last_error for _, result in attempts],
            [result.reason for _, result in attempts],
            EmailStatus.SENT,
            EmailStatus.FAILED,
            EmailStatus.SENDING,
            [email_id for email_id, _ in changes],
            [change.id for _, change in changes],
            [change.status for _, change in changes],
            [change.code for _, change in changes],
            [change.reply for _, change in changes],
            [change.answered for _, change in changes],
            [change.closing for _, change in changes],
            RecipientStatus.PENDING,
            *outbox.columns(requests),
        )
        return {(row["id"], row["attempts"]) for row in rows}

    async def fail_unfinished(
        self, email_id: uuid.UUID, reason: FailureReason, detail: str
    ) -> bool:
        """Close an email that could not be handled as `failed` (unless it is final already).

        For an error outside any attempt's normal course; returns whether the email was closed.
        """
        closed = await self.connection.fetchval(
            "UPDATE emails SET status = $2, failure_reason = $3, last_error = $4,"
            " failed_at = now(), updated_at = now()"
            " WHERE id = $1 AND NOT status = ANY($5::text[]) RETURNING true",
            email_id,
            EmailStatus.FAILED,
            reason,
            detail,
            list(FINAL),
        )
        if closed:
            await self.connection.execute(
                "UPDATE email_recipients SET status = $2, updated_at = now()"
                " WHERE email_id = $1 AND status = $3",
                email_id,
                RecipientStatus.ABANDONED,
                RecipientStatus.PENDING,
            )
        return bool(closed)


def _one_per_email(
    attempts: Sequence[tuple[Claim, AttemptResult]],
) -> list[list[tuple[Claim, AttemptResult]]]:
    """The attempts in groups without two of the same email (almost always one group): an
    email's n-th attempt goes in the n-th group it appears in."""
    groups: list[list[tuple[Claim, AttemptResult]]] = []
    seen: collections.Counter[uuid.UUID] = collections.Counter()
    for attempt in attempts:
        email_id = attempt[0].email.email_id
        if seen[email_id] == len(groups):
            groups.append([])
        groups[seen[email_id]].append(attempt)
        seen[email_id] += 1
    return groups


def _claim_of(row: Record) -> Claim:
    recipients = row["recipients"] or []
    email = OutgoingEmail(
        email_id=row["id"],
        sender_name=row["sender_name"],
        sender_email=row["sender_email"],
        subject=row["subject"],
        text=row["text_body"],
        html=row["html_body"],
        to=[address for _, kind, address, _ in recipients if kind == RecipientKind.TO],
        cc=[address for _, kind, address, _ in recipients if kind == RecipientKind.CC],
        bcc=[address for _, kind, address, _ in recipients if kind == RecipientKind.BCC],
        attachments=[Attachment(*attachment) for attachment in row["attachments"] or []],
        created_at=row["created_at"],
    )
    return Claim(
        email,
        row["attempts"],
        row["attempt_base"],
        row["expires_at"],
        pending={a: i for i, _, a, status in recipients if status == RecipientStatus.PENDING},
        accepted_before=any(r[3] == RecipientStatus.ACCEPTED for r in recipients),
    )
