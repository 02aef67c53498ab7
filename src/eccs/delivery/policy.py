"""The delivery policy: how many attempts, how long between them, and what an attempt leads to.

One frozen value built from settings in the composition root. Its two decisions are pure
functions of the facts (the recipients' answers, the attempts used, the email's expiry, the time),
so the whole retry policy can be read here and tested without a broker or an SMTP server:

| before an attempt                                   | decision                 |
|-----------------------------------------------------|--------------------------|
| every recipient left is on the suppression list     | close: suppressed        |
| the email has expired                               | close: expired           |
| its budget is used up (a re-published attempt)      | close: exhausted         |
| otherwise                                           | send                     |

| after an attempt                                    | decision                 |
|-----------------------------------------------------|--------------------------|
| every recipient has a final answer (2xx or 5xx)     | close: refused           |
| some deferred (4xx, no answer), budget left, the    | retry at now + backoff   |
|   retry due before the expiry                       |                          |
| some deferred, last attempt of the budget           | close: exhausted         |
| some deferred, the retry would be due after expiry  | close: expired           |
| the message could not be built or sent (a bug, bad  | close: invalid           |
|   stored data)                                      |                          |

An email that any recipient accepted (now or in an earlier attempt) closes as `sent`, with the
refusals and give-ups listed; the reason is the failure reason only of an email nobody accepted.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field

from eccs.contracts.lifecycle import FailureReason
from eccs.delivery.answers import RecipientAnswer
from eccs.platform.settings import Fragment


class DeliverySettings(Fragment):
    email_max_attempts: int = Field(default=4, ge=1, le=100)
    email_retry_base_seconds: float = Field(default=2.0, gt=0)
    email_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # Messages handled at once by one worker (each holds at most one SMTP connection).
    delivery_concurrency: int = Field(default=64, ge=1, le=1024)
    worker_name: str | None = None


@dataclass(frozen=True)
class RetryAt:
    """Try the recipients still unanswered again at this time."""

    at: datetime


@dataclass(frozen=True)
class Close:
    """No more attempts: `sent` if anyone accepted, else `failed` for this reason."""

    reason: FailureReason
    detail: str | None = None


Decision = RetryAt | Close


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    concurrency: int

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> DeliveryPolicy:
        return cls(
            max_attempts=settings.email_max_attempts,
            retry_base_seconds=settings.email_retry_base_seconds,
            retry_max_seconds=min(settings.email_retry_max_seconds, 10 * 365 * 86400),
            concurrency=settings.delivery_concurrency,
        )

    def before_attempt(
        self,
        attempts_used: int,
        expires_at: datetime | None,
        now: datetime,
        *,
        to_try: int = 1,
        suppressed: int = 0,
    ) -> Close | None:
        """Whether attempt number `attempts_used` of the budget may be made at all, for `to_try`
        recipients left (`suppressed` more are on the sender's suppression list: never tried).

        An attempt beyond the budget arrives when an email stuck in flight is published again
        after the visibility timeout: that re-publishing spends the budget like any attempt.
        """
        if to_try == 0 and suppressed > 0:
            return Close(
                FailureReason.SUPPRESSED, "every recipient left is on the suppression list"
            )
        if expires_at is not None and expires_at <= now:
            return Close(FailureReason.EXPIRED, "expired before delivery")
        if attempts_used > self.max_attempts:
            return Close(FailureReason.EXHAUSTED, f"all {self.max_attempts} attempts were used")
        return None

    def after_attempt(
        self,
        answers: Sequence[RecipientAnswer],
        attempts_used: int,
        expires_at: datetime | None,
        now: datetime,
        rng: random.Random | None = None,
    ) -> Decision:
        if not any(answer.deferred for answer in answers):
            return Close(FailureReason.REFUSED)
        retry_at = now + self.backoff(attempts_used, rng)
        if attempts_used >= self.max_attempts:
            return Close(FailureReason.EXHAUSTED)
        if expires_at is not None and retry_at >= expires_at:
            return Close(FailureReason.EXPIRED)
        return RetryAt(retry_at)

    def backoff(self, attempts_used: int, rng: random.Random | None = None) -> timedelta:
        """Wait before the next attempt: exponential, capped, with full jitter.

        Full jitter (a uniform draw below the exponential ceiling) spreads the retries of many
        emails that failed together, so a recovering server is not hit by them all at once.
        """
        exponent = min(attempts_used - 1, 62)  # 2**62 is far past any cap; avoids huge floats
        ceiling = min(self.retry_max_seconds, self.retry_base_seconds * 2**exponent)
        return timedelta(seconds=(rng or random).uniform(0, ceiling))


def default_worker_name() -> str:
    """Identifies this worker in the audit trail: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"
