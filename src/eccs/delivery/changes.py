"""What an attempt changes for each recipient, and what the sender's webhooks are told of it.

One change per recipient still without a final answer:

| the recipient                                  | becomes      | event               |
|------------------------------------------------|--------------|---------------------|
| is on the sender's suppression list            | suppressed   | email.suppressed    |
| was accepted (2xx)                             | accepted     | email.sent          |
| was refused (5xx), maybe suppressed from now   | refused      | email.failed        |
| was deferred, and the email closes             | abandoned    | email.failed        |
| was not tried, and the email closes            | abandoned    | email.failed        |
| was deferred, and a retry is due               | pending      | email.deferred      |

A give-up is written only if the attempt is still the worker's when it is recorded (repository:
`closing`), and so is its event; a deferral's event too (`event_needs_owner`), since it announces
a retry that only the worker holding the email can schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from eccs.contracts.account_mail import ACCOUNT_MAIL_SENDER
from eccs.contracts.lifecycle import EventType, RecipientStatus
from eccs.contracts.webhook_events import EmailEventData, NewEvent, email_event
from eccs.delivery.answers import RecipientAnswer
from eccs.delivery.policy import Close, Decision, RetryAt
from eccs.delivery.repository import Claim, RecipientChange


def recipient_changes(
    claim: Claim, answers: Sequence[RecipientAnswer], decision: Decision, now: datetime
) -> list[RecipientChange]:
    announce = _Announcer(claim, now)
    changes = [
        RecipientChange(
            row,
            RecipientStatus.SUPPRESSED,
            None,
            None,
            answered=False,
            event=announce(EventType.SUPPRESSED, address, reason=reason),
        )
        for address, (row, reason) in claim.suppressed.items()
    ]
    answered = {answer.recipient: answer for answer in answers}
    for address, row in claim.pending.items():
        answer = answered.get(address)
        if answer is not None and not answer.deferred:
            changes.append(_final_answer(row, answer, announce))
        elif isinstance(decision, Close):
            changes.append(_given_up(row, address, answer, decision, announce))
        elif answer is not None:
            changes.append(_deferred(row, answer, decision, announce))
    return changes


def _final_answer(row: int, answer: RecipientAnswer, announce: _Announcer) -> RecipientChange:
    # ECCS's own account emails suppress nobody: a later password reset must still be sent.
    event = (
        announce(EventType.SENT, answer.recipient, answer)
        if answer.accepted
        else announce(EventType.FAILED, answer.recipient, answer, reason="refused")
    )
    return RecipientChange(
        row,
        answer.recipient_status,
        answer.code,
        answer.reply,
        answered=True,
        suppress=answer.suppresses and announce.claim.user_id != ACCOUNT_MAIL_SENDER,
        event=event,
    )


def _given_up(
    row: int,
    address: str,
    answer: RecipientAnswer | None,
    decision: Close,
    announce: _Announcer,
) -> RecipientChange:
    return RecipientChange(
        row,
        RecipientStatus.ABANDONED,
        answer.code if answer else None,
        answer.reply if answer else None,
        answered=answer is not None,
        closing=True,
        event=announce(EventType.FAILED, address, answer, reason=decision.reason),
    )


def _deferred(
    row: int, answer: RecipientAnswer, decision: RetryAt, announce: _Announcer
) -> RecipientChange:
    return RecipientChange(
        row,
        RecipientStatus.PENDING,
        answer.code,
        answer.reply,
        answered=True,
        event=announce(EventType.DEFERRED, answer.recipient, answer, next_attempt_at=decision.at),
        event_needs_owner=True,
    )


class _Announcer:
    """Makes the events of one attempt's changes."""

    def __init__(self, claim: Claim, now: datetime) -> None:
        self.claim = claim
        self.now = now

    def __call__(
        self,
        type_: EventType,
        address: str,
        answer: RecipientAnswer | None = None,
        *,
        reason: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> NewEvent:
        email = self.claim.email
        data = EmailEventData(
            email_id=email.email_id,
            subject=email.subject,
            recipient=address,
            recipient_kind=self.claim.kinds[address],
            attempt=self.claim.attempt,
            smtp_code=answer.code if answer else None,
            smtp_reply=answer.reply if answer else None,
            reason=reason,
            next_attempt_at=next_attempt_at,
        )
        return email_event(type_, self.claim.user_id, self.now, data)
