"""The whole delivery policy, without a broker or an SMTP server: what each SMTP answer means,
and what an attempt leads to for every combination of answers, budget, expiry and time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest

from eccs.contracts.lifecycle import FailureReason, RecipientStatus
from eccs.delivery.answers import RecipientAnswer, for_everyone, message_error, session_error
from eccs.delivery.errors import PermanentDeliveryError, TemporaryDeliveryError
from eccs.delivery.policy import Close, DeliveryPolicy, RetryAt

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(max_attempts=4, retry_base_seconds=2, retry_max_seconds=60, concurrency=1)


def answer(code: int | None, recipient: str = "a@example.test", **kw: bool) -> RecipientAnswer:
    return RecipientAnswer(recipient, code, "reply", **kw)


ACCEPTED, DEFERRED, REFUSED, SILENT = answer(250), answer(451), answer(550), answer(None)

# --- what an SMTP answer means ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "accepted", "refused", "deferred", "status"),
    [
        (answer(250), True, False, False, RecipientStatus.ACCEPTED),
        (answer(251), True, False, False, RecipientStatus.ACCEPTED),
        (answer(421), False, False, True, RecipientStatus.PENDING),
        (answer(452), False, False, True, RecipientStatus.PENDING),
        (answer(550), False, True, False, RecipientStatus.REFUSED),
        (answer(554), False, True, False, RecipientStatus.REFUSED),
        (answer(None), False, False, True, RecipientStatus.PENDING),  # no answer: try again
        (answer(None, permanent=True), False, True, False, RecipientStatus.REFUSED),
    ],
)
def test_each_answer_is_accepted_refused_or_deferred(
    given: RecipientAnswer, accepted: bool, refused: bool, deferred: bool, status: RecipientStatus
) -> None:
    assert (given.accepted, given.refused, given.deferred) == (accepted, refused, deferred)
    assert given.recipient_status == status


def test_a_whole_transaction_failing_is_every_recipients_answer() -> None:
    temporary = for_everyone(TemporaryDeliveryError(421, "closing"), ["a@x.test", "b@x.test"])
    permanent = for_everyone(PermanentDeliveryError(None, "needs SMTPUTF8"), ["a@x.test"])

    assert [(a.recipient, a.code, a.deferred) for a in temporary] == [
        ("a@x.test", 421, True),
        ("b@x.test", 421, True),
    ]
    assert permanent[0].refused and permanent[0].code is None  # no invented SMTP code


def test_a_reply_to_the_message_is_final_only_when_it_is_5xx() -> None:
    assert isinstance(message_error(552, "too big"), PermanentDeliveryError)
    assert isinstance(message_error(452, "full"), TemporaryDeliveryError)


def test_a_refused_session_is_always_temporary_even_on_5xx() -> None:
    """A relay refusing our session (EHLO, AUTH) refuses us, not the email: fix the relay or
    the configuration and the email can go out."""
    refused_login = aiosmtplib.SMTPAuthenticationError(535, "bad credentials")
    assert isinstance(session_error(refused_login), TemporaryDeliveryError)
    assert isinstance(session_error(ConnectionRefusedError("refused")), TemporaryDeliveryError)


# --- before an attempt --------------------------------------------------------------------------


def test_an_attempt_within_the_budget_and_before_expiry_goes_ahead() -> None:
    assert POLICY.before_attempt(4, NOW + timedelta(seconds=1), NOW) is None
    assert POLICY.before_attempt(1, None, NOW) is None


def test_an_expired_email_is_closed_without_sending() -> None:
    assert POLICY.before_attempt(1, NOW, NOW) == Close(
        FailureReason.EXPIRED, "expired before delivery"
    )


def test_an_attempt_beyond_the_budget_is_closed_as_exhausted() -> None:
    """A stuck email re-published after its last attempt spends the budget like any attempt."""
    closing = POLICY.before_attempt(5, None, NOW)
    assert closing is not None and closing.reason == FailureReason.EXHAUSTED


# --- after an attempt ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [[ACCEPTED], [REFUSED], [ACCEPTED, REFUSED], [answer(None, permanent=True)], []],
    ids=["accepted", "refused", "mixed", "relay-cannot-take-it", "nobody-left"],
)
def test_every_recipient_answered_for_good_closes_the_email(answers: list[RecipientAnswer]) -> None:
    # Closing makes it `sent` when anyone accepted; the reason counts only if nobody did.
    assert POLICY.after_attempt(answers, 1, None, NOW) == Close(FailureReason.REFUSED)


@pytest.mark.parametrize("answers", [[DEFERRED], [SILENT], [ACCEPTED, DEFERRED], [REFUSED, SILENT]])
def test_anyone_deferred_with_budget_left_is_retried_after_the_backoff(
    answers: list[RecipientAnswer],
) -> None:
    decision = POLICY.after_attempt(answers, 2, None, NOW, random.Random(7))

    assert isinstance(decision, RetryAt)
    assert NOW <= decision.at <= NOW + timedelta(seconds=2 * 2**1)


def test_deferred_on_the_last_attempt_is_exhausted() -> None:
    assert POLICY.after_attempt([DEFERRED], 4, None, NOW) == Close(FailureReason.EXHAUSTED)


def test_a_retry_that_would_come_after_the_expiry_is_expired() -> None:
    expires = NOW + timedelta(milliseconds=1)
    rigged = random.Random(0)  # draws a wait far longer than a millisecond
    assert POLICY.after_attempt([DEFERRED], 1, expires, NOW, rigged) == Close(FailureReason.EXPIRED)


def test_a_retry_due_before_the_expiry_goes_ahead() -> None:
    decision = POLICY.after_attempt([DEFERRED], 1, NOW + timedelta(hours=1), NOW)
    assert isinstance(decision, RetryAt)


# --- the backoff --------------------------------------------------------------------------------


@pytest.mark.parametrize(("attempts_used", "ceiling"), [(1, 2), (2, 4), (3, 8), (6, 60), (60, 60)])
def test_the_backoff_doubles_up_to_its_cap_with_full_jitter(
    attempts_used: int, ceiling: float
) -> None:
    rng = random.Random(attempts_used)
    waits = [POLICY.backoff(attempts_used, rng).total_seconds() for _ in range(200)]

    assert all(0 <= wait <= ceiling for wait in waits)
    assert max(waits) > ceiling * 0.8  # spread over the whole range, not clustered at the top
    assert min(waits) < ceiling * 0.2


# --- which refusals suppress the address ------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reply", "suppresses"),
    [
        (550, "5.1.1 no such user", True),
        (550, "5.1.10 RESOLVER.ADR.RecipientNotFound", True),
        (553, "5.1.3 bad address syntax", True),
        (550, "5.2.1 mailbox disabled", True),
        (550, "5.4.4 no route to the domain", True),
        (550, "requested action not taken: mailbox unavailable", True),  # no enhanced code
        (550, "5.0.0 refused", True),
        (551, "user not local", True),
        (550, "5.7.1 refused as spam", False),  # policy: says nothing against the address
        (554, "5.7.1 relay access denied", False),
        (552, "5.2.2 mailbox full", False),
        (554, "transaction failed", False),
        (550, "5.3.0 system problem", False),
        (450, "4.1.1 try later", False),
    ],
)
def test_only_refusals_saying_the_mailbox_is_not_there_suppress_it(
    code: int, reply: str, suppresses: bool
) -> None:
    assert RecipientAnswer("a@x.test", code, reply, about_address=True).suppresses is suppresses


def test_a_refusal_of_the_whole_transaction_suppresses_nobody() -> None:
    [given] = for_everyone(PermanentDeliveryError(550, "5.1.1 no such user"), ["a@x.test"])

    assert given.refused and not given.suppresses


def test_an_email_whose_every_recipient_left_is_suppressed_closes_as_suppressed() -> None:
    closing = POLICY.before_attempt(1, None, NOW, to_try=0, suppressed=2)

    assert closing is not None and closing.reason == FailureReason.SUPPRESSED
    assert POLICY.before_attempt(1, None, NOW, to_try=1, suppressed=2) is None
