"""Sign-in and sign-up throttling, counted in PostgreSQL so every replica sees the same counts.

Failed sign-ins are counted three ways, and the rules are built so that guessing is slowed down
while a stranger can never lock the owner out:
- per (account, client address): a few failures (5 / 15 min) stop that address guessing that
  account, and only that account;
- per client address: more failures (20 / min) stop an address guessing across accounts;
- per account, across addresses: a much higher ceiling (100 / hour) against guessing spread over
  many addresses. It holds back only addresses the account has never signed in from: the owner,
  signing in from where they did before, is never held back by failures that are not theirs.
Sign-ups are counted per client address (10 / hour), successful or not, and so are requests for
a password-reset link (10 / hour). The emails ECCS sends about an account (links, notices) are
counted per account (5 / hour), so that nobody can flood an inbox through sign-ups or resets.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from eccs.identity.errors import (
    AccountEmailThrottled,
    LoginThrottled,
    PasswordResetThrottled,
    RegistrationThrottled,
)
from eccs.identity.repository import ThrottleEventRepository
from eccs.platform.errors import TooManyRequests


@dataclass(frozen=True)
class ThrottleRule:
    scope: str
    limit: int
    window: timedelta


@dataclass(frozen=True)
class ThrottleRules:
    per_account_and_address: ThrottleRule
    per_address: ThrottleRule
    per_account: ThrottleRule
    registrations_per_address: ThrottleRule
    password_resets_per_address: ThrottleRule
    account_emails_per_account: ThrottleRule

    @property
    def longest_window(self) -> timedelta:
        return max(
            rule.window
            for rule in (
                self.per_account_and_address,
                self.per_address,
                self.per_account,
                self.registrations_per_address,
                self.password_resets_per_address,
                self.account_emails_per_account,
            )
        )


class Throttle:
    def __init__(self, events: ThrottleEventRepository, rules: ThrottleRules) -> None:
        self.events = events
        self.rules = rules

    async def check_login(
        self, account: str, address: str, known_address: bool, now: datetime
    ) -> None:
        """Raise 429 when this sign-in may not be tried now. Guesses from one address at one
        account take turns until the transaction that records the outcome ends, so firing
        them at once gets no more tries than sending them one by one."""
        pair = self.rules.per_account_and_address
        await self.events.hold(pair.scope, _pair(account, address))
        await self._check(pair, _pair(account, address), now)
        await self._check(self.rules.per_address, address, now)
        if not known_address:
            await self._check(self.rules.per_account, account, now)

    async def login_failed(self, account: str, address: str, now: datetime) -> None:
        await self.events.record(
            self.rules.per_account_and_address.scope, _pair(account, address), now
        )
        await self.events.record(self.rules.per_address.scope, address, now)
        await self.events.record(self.rules.per_account.scope, account, now)

    async def login_succeeded(self, account: str, address: str) -> None:
        """The owner's own failures from this address no longer count against them."""
        await self.events.clear(self.rules.per_account_and_address.scope, _pair(account, address))

    async def check_registration(self, address: str, now: datetime) -> None:
        """Count a sign-up from this address; raise 429 when it is one too many."""
        await self._take(self.rules.registrations_per_address, address, now, RegistrationThrottled)

    async def check_reset_request(self, address: str, now: datetime) -> None:
        """Count a request for a reset link from this address; 429 when it is one too many."""
        rule = self.rules.password_resets_per_address
        await self._take(rule, address, now, PasswordResetThrottled)

    async def check_account_email(self, account: uuid.UUID, now: datetime) -> None:
        """Count an email about this account; 429 when it would be one too many."""
        rule = self.rules.account_emails_per_account
        await self._take(rule, str(account), now, AccountEmailThrottled)

    async def _take(
        self, rule: ThrottleRule, subject: str, now: datetime, error: type[TooManyRequests]
    ) -> None:
        await self.events.hold(rule.scope, subject)
        await self._check(rule, subject, now, error)
        await self.events.record(rule.scope, subject, now)

    async def _check(
        self,
        rule: ThrottleRule,
        subject: str,
        now: datetime,
        error: type[TooManyRequests] = LoginThrottled,
    ) -> None:
        count, oldest = await self.events.window(rule.scope, subject, now - rule.window)
        if count >= rule.limit and oldest is not None:
            wait = (oldest + rule.window - now).total_seconds()
            raise error(retry_after=math.ceil(wait))


def _pair(account: str, address: str) -> str:
    return f"{address} {account}"
