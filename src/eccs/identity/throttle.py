"""Login throttling: failures only, per account and per client address, kept in PostgreSQL so
every replica sees the same counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from eccs.identity.errors import LoginThrottled
from eccs.identity.repository import LoginFailureRepository


@dataclass(frozen=True)
class ThrottleRule:
    scope: str
    limit: int
    window: timedelta


class LoginThrottle:
    def __init__(self, failures: LoginFailureRepository, rules: tuple[ThrottleRule, ...]) -> None:
        self.failures = failures
        self.rules = rules

    async def check(self, subjects: dict[str, str], now: datetime) -> None:
        """Raise 429 when any subject (account, address) is over its rule's limit."""
        for rule in self.rules:
            count, oldest = await self.failures.window(
                rule.scope, subjects[rule.scope], now - rule.window
            )
            if count >= rule.limit and oldest is not None:
                wait = (oldest + rule.window - now).total_seconds()
                raise LoginThrottled(retry_after=math.ceil(wait))

    async def fail(self, subjects: dict[str, str], now: datetime) -> None:
        for rule in self.rules:
            await self.failures.record(rule.scope, subjects[rule.scope], now)

    async def succeed(self, account: str, now: datetime) -> None:
        await self.failures.clear("account", account)
        longest = max(rule.window for rule in self.rules)
        await self.failures.purge_before(now - longest)
