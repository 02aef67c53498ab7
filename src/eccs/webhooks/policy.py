"""The webhook delivery policy: when to try an event again, when to give up, and when an endpoint
that keeps failing is disabled. One frozen value built from settings; pure decisions.

After a failed attempt n the next one is due after a step that doubles from
`WEBHOOK_RETRY_BASE_SECONDS` (5 s) up to `WEBHOOK_RETRY_MAX_SECONDS` (an hour), drawn between
half the step and the whole of it, so events that failed together do not all come back at once:
5, 10, 20, 40 s ... then hourly. A delivery is given up once its next attempt would fall after
`WEBHOOK_RETRY_WINDOW_SECONDS` (a day) from its creation: some 30 attempts in all. An endpoint
every attempt to which has failed for `WEBHOOK_DISABLE_AFTER_SECONDS` (a day) is disabled, its
waiting deliveries given up, and its owner told.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from eccs.webhooks.settings import WebhookSettings


@dataclass(frozen=True)
class WebhookPolicy:
    retry_base_seconds: float
    retry_max_seconds: float
    retry_window: timedelta
    disable_after: timedelta

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> WebhookPolicy:
        return cls(
            retry_base_seconds=settings.webhook_retry_base_seconds,
            retry_max_seconds=settings.webhook_retry_max_seconds,
            retry_window=timedelta(seconds=settings.webhook_retry_window_seconds),
            disable_after=timedelta(seconds=settings.webhook_disable_after_seconds),
        )

    def next_attempt(
        self, attempt: int, created_at: datetime, now: datetime, rng: random.Random | None = None
    ) -> datetime | None:
        """When to try again after attempt number `attempt` failed; None: give up."""
        step = min(self.retry_max_seconds, self.retry_base_seconds * 2 ** min(attempt - 1, 62))
        at = now + timedelta(seconds=(rng or random).uniform(step / 2, step))
        return at if at <= created_at + self.retry_window else None

    def disables(self, failing_since: datetime | None, now: datetime) -> bool:
        """Whether an endpoint every attempt to which has failed since `failing_since` is
        disabled now."""
        return failing_since is not None and now - failing_since >= self.disable_after
