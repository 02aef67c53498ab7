"""What an attempt records for each recipient, and the webhook event each change leads to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from eccs.contracts.lifecycle import (
    EventType,
    FailureReason,
    RecipientKind,
    RecipientStatus,
    SuppressionReason,
)
from eccs.contracts.webhook_events import Event
from eccs.delivery.answers import RecipientAnswer
from eccs.delivery.changes import recipient_changes
from eccs.delivery.composing import OutgoingEmail
from eccs.delivery.policy import Close, RetryAt
from eccs.delivery.repository import Claim, RecipientChange

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
USER = uuid.uuid4()


def claim(pending: dict[str, int], suppressed: dict[str, int] | None = None) -> Claim:
    listed = {a: (row, SuppressionReason.UNSUBSCRIBED) for a, row in (suppressed or {}).items()}
    everyone = [*pending, *listed]
    email = OutgoingEmail(
        uuid.uuid4(), "Me", "me@x.test", "Your order", "Hi", None, everyone, [], [], [], NOW
    )
    kinds = dict.fromkeys(everyone, RecipientKind.TO)
    return Claim(email, USER, 2, 0, None, pending, listed, False, kinds)


def by_row(changes: list[RecipientChange]) -> dict[int, RecipientChange]:
    return {change.id: change for change in changes}


def test_each_final_answer_becomes_its_status_and_event() -> None:
    answers = [
        RecipientAnswer("ok@x.test", 250, "2.0.0 queued"),
        RecipientAnswer("gone@x.test", 550, "5.1.1 no such user", about_address=True),
        RecipientAnswer("spam@x.test", 550, "5.7.1 spam", about_address=True),
    ]
    given = claim({"ok@x.test": 1, "gone@x.test": 2, "spam@x.test": 3})

    changes = by_row(recipient_changes(given, answers, Close(FailureReason.REFUSED), NOW))

    assert changes[1].status == RecipientStatus.ACCEPTED and changes[1].event
    assert changes[1].event.type == EventType.SENT
    assert changes[2].status == RecipientStatus.REFUSED and changes[2].suppress
    assert not changes[3].suppress
    assert changes[2].event and changes[2].event.type == EventType.FAILED
    payload = Event.model_validate(changes[2].event.payload)
    assert payload.type == EventType.FAILED and payload.id == changes[2].event.id
    assert payload.data.model_dump(exclude_none=True) == {
        "email_id": given.email.email_id,
        "subject": "Your order",
        "recipient": "gone@x.test",
        "recipient_kind": RecipientKind.TO,
        "attempt": 2,
        "smtp_code": 550,
        "smtp_reply": "5.1.1 no such user",
        "reason": "refused",
    }


def test_a_suppressed_recipient_is_never_tried_and_announced_as_suppressed() -> None:
    given = claim({"ok@x.test": 1}, suppressed={"left@x.test": 2})

    changes = by_row(
        recipient_changes(
            given, [RecipientAnswer("ok@x.test", 250, "ok")], Close(FailureReason.REFUSED), NOW
        )
    )

    assert changes[2].status == RecipientStatus.SUPPRESSED and not changes[2].answered
    assert changes[2].event and changes[2].event.type == EventType.SUPPRESSED
    assert changes[2].event.payload["data"]["reason"] == "unsubscribed"


def test_a_deferral_announces_the_retry_but_only_from_the_attempt_still_held() -> None:
    retry_at = NOW + timedelta(seconds=8)
    answers = [RecipientAnswer("slow@x.test", 451, "4.3.0 later")]

    [change] = recipient_changes(claim({"slow@x.test": 1}), answers, RetryAt(retry_at), NOW)

    assert change.status == RecipientStatus.PENDING and change.event_needs_owner
    assert change.event and change.event.type == EventType.DEFERRED
    assert change.event.payload["data"]["next_attempt_at"] == retry_at.isoformat().replace(
        "+00:00", "Z"
    )


def test_recipients_given_up_fail_with_the_emails_reason() -> None:
    answers = [RecipientAnswer("slow@x.test", 451, "4.3.0 later")]
    given = claim({"slow@x.test": 1, "untried@x.test": 2})

    changes = by_row(recipient_changes(given, answers, Close(FailureReason.EXHAUSTED), NOW))

    assert {c.status for c in changes.values()} == {RecipientStatus.ABANDONED}
    assert all(c.closing for c in changes.values())
    assert {c.event.payload["data"]["reason"] for c in changes.values() if c.event} == {"exhausted"}
    assert changes[1].answered and not changes[2].answered
