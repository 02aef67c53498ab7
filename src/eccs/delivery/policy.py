"""The delivery policy: how many attempts, how long between them, and how many at once.

One frozen value built from settings in the composition root, so the rules are easy to read and
to test without a broker or an SMTP server.
"""

from __future__ import annotations

import os
import random
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field

from eccs.platform.settings import Fragment


class DeliverySettings(Fragment):
    email_max_attempts: int = Field(default=4, ge=1, le=100)
    email_retry_base_seconds: float = Field(default=2.0, gt=0)
    email_retry_max_seconds: float = Field(default=3600.0, gt=0)
    email_visibility_timeout_seconds: float = Field(default=60.0, gt=0)
    # Messages handled at once by one worker (each holds at most one SMTP connection).
    delivery_concurrency: int = Field(default=64, ge=1, le=1024)
    worker_name: str | None = None


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

    def backoff(self, attempts_used: int, rng: random.Random | None = None) -> timedelta:
        """Wait before the next attempt: exponential, capped, with full jitter.

        Full jitter (a uniform draw below the exponential ceiling) spreads the retries of many
        emails that failed together, so a recovering server is not hit by them all at once.
        """
        exponent = min(attempts_used - 1, 62)  # 2**62 is far past any cap; avoids huge floats
        ceiling = min(self.retry_max_seconds, self.retry_base_seconds * 2**exponent)
        return timedelta(seconds=(rng or random).uniform(0, ceiling))

    def may_retry(
        self, attempts_used: int, retry_at: datetime, expires_at: datetime | None
    ) -> bool:
        """Whether another attempt is allowed: budget left, and not past the email's expiry."""
        if attempts_used >= self.max_attempts:
            return False
        return expires_at is None or retry_at < expires_at


def default_worker_name() -> str:
    """Identifies this worker in the audit trail: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"
