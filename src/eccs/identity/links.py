"""Emailed single-use links: verifying an address, resetting a forgotten password.

Each link carries a token `<id>.<secret>` (identity/tokens.py); only a hash of the secret is
stored, and a presented token is compared with it in constant time. A token works once and
until it expires; using one uses every other token of the account for the same purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from eccs.identity.errors import AccountEmailThrottled, AlreadyVerified, InvalidLink
from eccs.identity.mailing import AccountMail
from eccs.identity.passwords import check_password
from eccs.identity.repository import (
    AccountTokenRepository,
    RefreshTokenRepository,
    ThrottleEventRepository,
    UserRepository,
    UserRow,
)
from eccs.identity.throttle import Throttle
from eccs.identity.tokens import Secret
from eccs.platform.db import Connection
from eccs.platform.metrics import ACCOUNT_EMAILS

if TYPE_CHECKING:
    from eccs.identity.service import Identity

VERIFY = "verify"
RESET = "reset"


class AccountLinks:
    def __init__(self, connection: Connection, identity: Identity) -> None:
        self.identity = identity
        self.users = UserRepository(connection)
        self.tokens = AccountTokenRepository(connection)
        self.sessions = RefreshTokenRepository(connection)
        self.throttle = Throttle(ThrottleEventRepository(connection), identity.throttle_rules())
        self.mail = AccountMail(connection, identity.public_url)

    # --- verifying the address --------------------------------------------------------------

    async def send_verification(self, user: UserRow, now: datetime) -> None:
        """A new link to verify the account's address (429 when the account had many lately)."""
        await self.throttle.check_account_email(user.id, now)
        hours = self.identity.settings.verification_link_hours
        expires_at = now + timedelta(hours=hours)
        token = await self._new_token(user, VERIFY, now, expires_at)
        await self.mail.verification(user.email, user.name, token, expires_at, hours, now)

    async def resend_verification(self, user: UserRow) -> None:
        if user.email_verified:
            raise AlreadyVerified()
        await self.send_verification(user, _now())

    async def notify_taken(self, email: str, now: datetime) -> None:
        """Tell the holder of an address that someone tried to sign up with it (unless they
        were told several times lately: then nothing, and nobody is told so)."""
        holder = await self.users.by_email(email)
        if holder is None:  # deleted meanwhile
            return
        try:
            await self.throttle.check_account_email(holder.id, now)
        except AccountEmailThrottled:
            ACCOUNT_EMAILS.labels("already_registered", "throttled").inc()
            return
        expires_at = now + timedelta(hours=self.identity.settings.verification_link_hours)
        await self.mail.already_registered(holder.email, expires_at, now)

    async def verify(self, presented: str) -> UserRow:
        now = _now()
        user = await self._use(presented, VERIFY, now)
        await self.users.mark_verified(user.id, now)
        verified = await self.users.by_id(user.id)
        assert verified is not None
        return verified

    # --- a forgotten password ---------------------------------------------------------------

    async def check_reset_request(self, client_address: str) -> None:
        """429 when this client address asked for too many reset links lately; the only
        part of a reset request its answer waits for."""
        await self.throttle.check_reset_request(client_address, _now())

    async def send_reset(self, email: str) -> None:
        """A reset link for the address's account, if it has one (and it was not sent many
        account emails lately). Run after the answer has gone, so that neither the answer nor
        its timing tells whether the address has an account."""
        now = _now()
        user = await self.users.by_email(email)
        if user is None:
            return
        try:
            await self.throttle.check_account_email(user.id, now)
        except AccountEmailThrottled:
            ACCOUNT_EMAILS.labels("password_reset", "throttled").inc()
            return
        minutes = self.identity.settings.reset_link_minutes
        expires_at = now + timedelta(minutes=minutes)
        token = await self._new_token(user, RESET, now, expires_at)
        await self.mail.password_reset(user.email, user.name, token, expires_at, minutes, now)

    async def reset(self, presented: str, password: str) -> None:
        """A new password; every sign-in of the account ends, and the address counts as
        verified: the link proved it."""
        now = _now()
        user = await self._check(presented, RESET, now)
        check_password(password, user.email)
        await self.users.set_password(user.id, await self.identity.hasher.hash(password))
        await self.tokens.use_all(user.id, RESET, now)
        await self.sessions.revoke_all(user.id, now)
        await self.users.mark_verified(user.id, now)

    # --- tokens -----------------------------------------------------------------------------

    async def _new_token(
        self, user: UserRow, purpose: str, now: datetime, expires_at: datetime
    ) -> Secret:
        token = Secret.new()
        await self.tokens.add(token.id, user.id, purpose, token.digest, now, expires_at)
        return token

    async def _use(self, presented: str, purpose: str, now: datetime) -> UserRow:
        user = await self._check(presented, purpose, now)
        await self.tokens.use_all(user.id, purpose, now)
        return user

    async def _check(self, presented: str, purpose: str, now: datetime) -> UserRow:
        """The token's account, its row locked until the transaction ends; InvalidLink unless
        the token exists, matches, is for this purpose, unused and unexpired."""
        token = Secret.parse(presented)
        row = await self.tokens.lock(token.id) if token else None
        if token is None or row is None or not token.matches(row.secret_hash):
            raise InvalidLink()
        if row.purpose != purpose or row.used_at is not None or row.expires_at <= now:
            raise InvalidLink()
        user = await self.users.by_id(row.user_id)
        if user is None:
            raise InvalidLink()
        return user


def _now() -> datetime:
    return datetime.now(UTC)
