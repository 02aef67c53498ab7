"""All SQL of the notification worker: claiming an attempt, reading the email, recording outcomes.

The worker shares the email tables with email-service (contracts/tables.py) and writes only the
delivery state: status, attempts, each recipient's answer, and the outbox rows of retries and
dead letters; with the outcomes, the suppressions their refusals cause and the webhook events
they lead to (contracts/webhook_events.py), in the same statement.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from eccs.contracts import outbox, webhook_events
from eccs.contracts.lifecycle import (
    CLAIMABLE,
    FINAL,
    EmailStatus,
    FailureReason,
    RecipientKind,
    RecipientStatus,
    SuppressionReason,
)
from eccs.contracts.outbox import OutboxRow
from eccs.contracts.webhook_events import NewEvent
from eccs.delivery.composing import Attachment, OutgoingEmail
from eccs.platform.db import Connection, Record


@dataclass(frozen=True)
class Claim:
    """An attempt of an email this worker now owns (the email is `sending`)."""

    email: OutgoingEmail
    user_id: uuid.UUID
    attempt: int
    attempt_base: int
    expires_at: datetime | None
    # The recipients still without a final answer, with their row ids: this attempt's envelope.
    pending: dict[str, int]
    # Those of them on the sender's suppression list, never tried: row id and why listed.
    suppressed: dict[str, tuple[int, SuppressionReason]]
    # Whether a recipient accepted it in an earlier attempt (then it closes as `sent`).
    accepted_before: bool
    kinds: dict[str, RecipientKind]

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
    # The refusal puts the address on the sender's suppression list.
    suppress: bool = False
    # The webhook event this change leads to; `event_needs_owner`: only if the attempt is
    # still this worker's (a retry announced for an email someone else has moved on).
    event: NewEvent | None = None
    event_needs_owner: bool = False


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt leaves in the database: the email's state, each recipient's, and the
    outbox row it leads to (the next attempt, or the dead letter)."""

    status: EmailStatus
    reason: FailureReason | None
    last_error: str | None
    recipients: list[RecipientChange]
    request: OutboxRow | None


# Each statement reaches a batch's rows by their keys, `id = ANY(...)`, besides joining them to
# the batch, so that its plan can be a lookup whatever the size of the table when it was made
# (see `by_key` in platform/db.py). A status is checked as `(...) IS TRUE`, which no index can
# answer: as an index condition it would read every row that ever had the status (the index
# keeps them until a vacuum), and a plan made on a small table can prefer that.

# The attempts asked for, each with its email, recipients (with the suppression of each, if
# any) and attachments, in one round trip.
# An attempt is taken only while its email waits for it: a redelivered message, a cancelled email
# or an attempt already finished is not (the email's `attempts` is one less than the attempt's).
_CLAIM = """
WITH wanted AS (
    SELECT * FROM unnest($1::uuid[], $2::int[]) AS w(id, attempt)
), claimed AS (
    UPDATE emails e SET status = $3, attempts = w.attempt, updated_at = now()
    FROM wanted w
    WHERE e.id = ANY($1::uuid[]) AND e.id = w.id
      AND (e.status = ANY($4::text[])) IS TRUE AND e.attempts = w.attempt - 1
    RETURNING e.id, e.attempts, e.user_id, e.attempt_base, e.sender_name, e.sender_email,
              e.subject, e.text_body, e.html_body, e.expires_at, e.created_at, e.headers,
              e.reply_to
)
SELECT c.*,
       (SELECT array_agg((r.id, r.kind, r.address, r.status, s.reason) ORDER BY r.position)
        FROM email_recipients r
        LEFT JOIN suppressions s ON s.user_id = c.user_id AND s.address = lower(r.address)
        WHERE r.email_id = c.id) AS recipients,
       (SELECT array_agg((a.filename, a.content_type, a.content) ORDER BY a.position)
        FROM email_attachments a WHERE a.email_id = c.id) AS attachments
FROM claimed c
"""

# The events of the recipients' changes _RECORD wrote.
_EVENTS = webhook_events.insert_sql(
    "SELECT event_id, user_id, event_type, email_id, payload FROM recipients"
    " WHERE event_id IS NOT NULL"
    " AND (NOT event_needs_owner OR email_id IN (SELECT id FROM owned))"
)

# The results of many attempts in one statement: each email's state only while its attempt is
# still this worker's (an operator may have abandoned it, or the visibility sweep given it to
# another attempt); the recipients' answers in any case (they are what the relay said), but not
# the give-ups of a close that did not happen; the outbox rows only with their email's state.
# The suppressions and webhook events follow the recipients' changes that were written, so a
# change recorded once is announced once.
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
    WHERE e.id = ANY($1::uuid[]) AND e.id = r.id AND e.attempts = r.attempt
      AND (e.status = $8) IS TRUE
    RETURNING e.id, e.attempts
), recipients AS (
    UPDATE email_recipients t
    SET status = c.status, attempts = t.attempts + c.answered::int,
        smtp_code = coalesce(c.code, t.smtp_code), smtp_reply = coalesce(c.reply, t.smtp_reply),
        updated_at = now()
    FROM unnest($9::uuid[], $10::bigint[], $11::text[], $12::smallint[], $13::text[],
                $14::bool[], $15::bool[], $17::uuid[], $18::text[], $19::bool[], $20::uuid[],
                $21::text[], $22::jsonb[], $23::bool[])
        AS c(email_id, id, status, code, reply, answered, closing, user_id, sender_email,
             suppress, event_id, event_type, payload, event_needs_owner)
    WHERE t.id = ANY($10::bigint[]) AND t.id = c.id AND t.status = $16
      AND (NOT c.closing OR c.email_id IN (SELECT id FROM owned))
    RETURNING t.address, c.email_id, c.user_id, c.sender_email, c.code, c.reply, c.suppress,
              c.event_id, c.event_type, c.payload, c.event_needs_owner
), suppressed AS (
    INSERT INTO suppressions (user_id, address, reason, sender_email, email_id, smtp_code,
                              detail, created_at)
    SELECT user_id, lower(address), $24, sender_email, email_id, code, reply, now()
    FROM recipients WHERE suppress
    ON CONFLICT (user_id, address) DO NOTHING
), {_EVENTS}, requests AS (
    {outbox.insert_sql(25, only_if="new_row.email_id IN (SELECT id FROM owned)")}
)
SELECT (SELECT array_agg((id, attempts)) FROM owned) AS owned,
       (SELECT count(*) FROM deliveries) AS deliveries
"""


@dataclass(frozen=True)
class Closed:
    """An email closed outside an attempt: its sender, subject and the recipients given up on."""

    user_id: uuid.UUID
    subject: str
    abandoned: list[tuple[str, RecipientKind]]


@dataclass(frozen=True)
class Recorded:
    """What recording attempts did: the (email id, attempt) of those still this worker's, and
    how many webhook deliveries it made due."""

    owned: set[tuple[uuid.UUID, int]]
    webhook_deliveries: int


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

    async def record(self, attempts: Sequence[tuple[Claim, AttemptResult]]) -> Recorded:
        """Write attempts' results; answers the (email id, attempt) of those that were still
        this worker's (for the others only the recipients' answers were recorded).

        Two attempts of one email (one superseded by the other) go in separate statements: in
        one, the email's outbox rows and give-ups could not tell which attempt owns it.
        """
        owned: set[tuple[uuid.UUID, int]] = set()
        deliveries = 0
        for distinct in _one_per_email(attempts):
            recorded = await self._record_distinct(distinct)
            owned |= recorded.owned
            deliveries += recorded.webhook_deliveries
        return Recorded(owned, deliveries)

    async def _record_distinct(self, attempts: Sequence[tuple[Claim, AttemptResult]]) -> Recorded:
        changes = [(claim, change) for claim, result in attempts for change in result.recipients]
        events = [change.event for _, change in changes]
        requests = [result.request for _, result in attempts if result.request is not None]
        row = await self.connection.fetchrow(
            _RECORD,
            [claim.email.email_id for claim, _ in attempts],
            [claim.attempt for claim, _ in attempts],
            [result.status for _, result in attempts],
            [result.last_error for _, result in attempts],
            [result.reason for _, result in attempts],
            EmailStatus.SENT,
            EmailStatus.FAILED,
            EmailStatus.SENDING,
            [claim.email.email_id for claim, _ in changes],
            [change.id for _, change in changes],
            [change.status for _, change in changes],
            [change.code for _, change in changes],
            [change.reply for _, change in changes],
            [change.answered for _, change in changes],
            [change.closing for _, change in changes],
            RecipientStatus.PENDING,
            [claim.user_id for claim, _ in changes],
            [claim.email.sender_email for claim, _ in changes],
            [change.suppress for _, change in changes],
            [event.id if event else None for event in events],
            [event.type if event else None for event in events],
            [event.payload if event else None for event in events],
            [change.event_needs_owner for _, change in changes],
            SuppressionReason.REFUSED,
            *outbox.columns(requests),
        )
        assert row is not None
        owned = {(email_id, attempt) for email_id, attempt in row["owned"] or []}
        return Recorded(owned, int(row["deliveries"]))

    async def fail_unfinished(
        self, email_id: uuid.UUID, reason: FailureReason, detail: str
    ) -> Closed | None:
        """Close an email that could not be handled as `failed` (unless it is final already),
        giving up on its recipients still without an answer.

        For an error outside any attempt's normal course; None when the email was final.
        """
        closed = await self.connection.fetchrow(
            "UPDATE emails SET status = $2, failure_reason = $3, last_error = $4,"
            " failed_at = now(), updated_at = now()"
            " WHERE id = $1 AND NOT status = ANY($5::text[]) RETURNING user_id, subject",
            email_id,
            EmailStatus.FAILED,
            reason,
            detail,
            list(FINAL),
        )
        if closed is None:
            return None
        abandoned = await self.connection.fetch(
            "UPDATE email_recipients SET status = $2, updated_at = now()"
            " WHERE email_id = $1 AND status = $3 RETURNING address, kind",
            email_id,
            RecipientStatus.ABANDONED,
            RecipientStatus.PENDING,
        )
        given_up = [(row["address"], RecipientKind(row["kind"])) for row in abandoned]
        return Closed(closed["user_id"], closed["subject"], given_up)


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
        to=[address for _, kind, address, _, _ in recipients if kind == RecipientKind.TO],
        cc=[address for _, kind, address, _, _ in recipients if kind == RecipientKind.CC],
        bcc=[address for _, kind, address, _, _ in recipients if kind == RecipientKind.BCC],
        attachments=[Attachment(*attachment) for attachment in row["attachments"] or []],
        created_at=row["created_at"],
        headers=[(name, value) for name, value in row["headers"] or []],
        reply_to=row["reply_to"],
    )
    waiting = [r for r in recipients if r[3] == RecipientStatus.PENDING]
    return Claim(
        email,
        row["user_id"],
        row["attempts"],
        row["attempt_base"],
        row["expires_at"],
        pending={address: i for i, _, address, _, listed in waiting if listed is None},
        suppressed={
            address: (i, SuppressionReason(listed))
            for i, _, address, _, listed in waiting
            if listed is not None
        },
        accepted_before=any(r[3] == RecipientStatus.ACCEPTED for r in recipients),
        kinds={address: RecipientKind(kind) for _, kind, address, _, _ in recipients},
    )
