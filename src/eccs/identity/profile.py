"""Changes a person makes to their own account: password, display name, deletion.

Each asks for nothing more than a sign-in, except where it matters: a new password and a
deletion need the current password, checked as a sign-in is (failures count against the same
throttle, so a stolen access token cannot be used to guess it). A new password or name ends
every other sign-in; the caller gets a fresh one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from eccs.contracts.erasure import request_erasure
from eccs.identity.errors import LoginThrottled, WrongPassword
from eccs.identity.passwords import check_password
from eccs.identity.repository import UserRow
from eccs.identity.schemas import SessionOut
from eccs.identity.service import THROTTLE_ACCOUNT_LENGTH, AccountService
from eccs.platform.errors import NotAuthenticated
from eccs.platform.metrics import LOGINS
from eccs.platform.security import Principal


class Profile:
    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts
        self.users = accounts.users

    async def change_password(
        self, who: Principal, current: str, new: str, client_address: str
    ) -> SessionOut:
        user = await self._confirmed(who, current, "current_password", client_address)
        check_password(new, user.email, field="new_password")
        await self.users.set_password(user.id, await self.accounts.identity.hasher.hash(new))
        return await self._fresh_sign_in(user)

    async def change_name(self, who: Principal, name: str) -> SessionOut:
        user = await self.users.set_name((await self._account(who)).id, name)
        return await self._fresh_sign_in(user)

    async def delete(self, who: Principal, password: str, client_address: str) -> None:
        """The account goes at once (its sign-ins, keys and links with it); its emails,
        templates and contacts are erased by email-service (contracts/erasure.py)."""
        user = await self._confirmed(who, password, "password", client_address)
        await self.users.delete(user.id)
        await request_erasure(self.accounts.connection, user.id, datetime.now(UTC))

    async def _account(self, who: Principal) -> UserRow:
        user = await self.users.by_id(who.id)
        if user is None:
            raise NotAuthenticated("The account of this token no longer exists.")
        return user

    async def _confirmed(
        self, who: Principal, password: str, field: str, client_address: str
    ) -> UserRow:
        """The account, once `password` is confirmed to be its password (a wrong one counts
        as a failed sign-in from this client address)."""
        user = await self._account(who)
        throttle = self.accounts.throttle
        account = user.email.strip().lower()[:THROTTLE_ACCOUNT_LENGTH]
        now = datetime.now(UTC)
        try:
            await throttle.check_login(account, client_address, True, now)
        except LoginThrottled:
            LOGINS.labels("throttled").inc()
            raise
        if not await self.accounts.identity.hasher.verify(password, user.password_hash):
            await throttle.login_failed(account, client_address, now)
            raise WrongPassword(field)
        return user

    async def _fresh_sign_in(self, user: UserRow) -> SessionOut:
        await self.accounts.tokens.revoke_all(user.id, datetime.now(UTC))
        return await self.accounts.start_session(user)
