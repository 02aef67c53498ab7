"""The rules of accounts and sessions: sign-up, sign-in, refresh rotation, sign-out.

The emailed links (verification, password reset) are in identity/links.py, changes to an account
in identity/profile.py, API keys in identity/keys.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eccs.identity.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    LoginThrottled,
    RefreshTokenReused,
    RegistrationThrottled,
)
from eccs.identity.links import AccountLinks
from eccs.identity.passwords import PasswordHasher, check_password
from eccs.identity.repository import (
    AddressInUse,
    RefreshTokenRepository,
    RefreshTokenRow,
    SignInAddressRepository,
    ThrottleEventRepository,
    UserRepository,
    UserRow,
)
from eccs.identity.schemas import SessionOut, UserOut
from eccs.identity.settings import IdentitySettings
from eccs.identity.throttle import Throttle, ThrottleRule, ThrottleRules
from eccs.identity.tokens import RefreshSecret, SigningKey, access_claims
from eccs.platform.db import Connection
from eccs.platform.errors import FieldProblem, NotAuthenticated
from eccs.platform.metrics import LOGINS, REFRESH_REUSE, REGISTRATIONS

THROTTLE_ACCOUNT_LENGTH = 320


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Identity:
    """What the service needs besides a database session, built once per process."""

    settings: IdentitySettings
    key: SigningKey
    hasher: PasswordHasher
    # Where the links in account emails lead (ECCS_PUBLIC_URL); empty for the command line,
    # which sends none.
    public_url: str = ""

    def throttle_rules(self) -> ThrottleRules:
        s = self.settings

        def rule(scope: str, limit: int, seconds: int) -> ThrottleRule:
            return ThrottleRule(scope, limit, timedelta(seconds=seconds))

        return ThrottleRules(
            per_account_and_address=rule(
                "login_account_address",
                s.login_max_failures_per_account_and_address,
                s.login_account_and_address_window_seconds,
            ),
            per_address=rule(
                "login_address", s.login_max_failures_per_address, s.login_address_window_seconds
            ),
            per_account=rule(
                "login_account", s.login_max_failures_per_account, s.login_account_window_seconds
            ),
            registrations_per_address=rule(
                "registration_address", s.registrations_per_address, s.registration_window_seconds
            ),
            password_resets_per_address=rule(
                "reset_address", s.password_resets_per_address, s.password_reset_window_seconds
            ),
            account_emails_per_account=rule(
                "account_email", s.account_emails_per_account, s.account_email_window_seconds
            ),
        )

    @property
    def known_address_age(self) -> timedelta:
        return timedelta(days=self.settings.login_known_address_days)


def session_payload(
    user: UserRow, access_token: str, refresh: RefreshSecret, ttl: int
) -> SessionOut:
    """The body of register, login and refresh answers."""
    return SessionOut(
        access_token=access_token,
        refresh_token=str(refresh),
        expires_in=ttl,
        user=user_out(user),
    )


def user_out(user: UserRow) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        email_verified=user.email_verified,
    )


class AccountService:
    def __init__(self, connection: Connection, identity: Identity) -> None:
        self.connection = connection
        self.identity = identity
        self.users = UserRepository(connection)
        self.tokens = RefreshTokenRepository(connection)
        self.throttle = Throttle(ThrottleEventRepository(connection), identity.throttle_rules())
        self.sign_in_addresses = SignInAddressRepository(connection)

    async def count_sign_up(self, client_address: str) -> None:
        """A sign-up from the API counts against its client address, successful or not; 429
        when it is one too many."""
        try:
            await self.throttle.check_registration(client_address, utcnow())
        except RegistrationThrottled:
            REGISTRATIONS.labels("throttled").inc()
            raise

    async def create(self, email: str, password: str, name: str, role: str) -> UserRow:
        """An account made by an operator (`eccs user create`): verified from the start."""
        check_password(password, email)
        if await self.users.by_email(email) is not None:
            raise EmailTaken(fields=[_taken()])
        hashed = await self.identity.hasher.hash(password)
        try:
            return await self.users.add(email, name, hashed, role, verified_at=utcnow())
        except AddressInUse as exc:  # a concurrent sign-up with the same address won the race
            raise EmailTaken(fields=[_taken()]) from exc

    async def sign_up(self, email: str, password: str, name: str) -> None:
        """A new address gets an account and a link to verify it; an address that has an
        account gets a notice instead.

        Both ways take the same steps: the password is hashed (bcrypt is most of the time
        taken), a row is written or found, an email is counted and queued; the caller answers
        the same. Nobody learns from the answer, or from its timing, whether an address has
        an account.
        """
        check_password(password, email)
        hashed = await self.identity.hasher.hash(password)
        now = utcnow()
        user = await self.users.add_if_new(email, name, hashed, "user", verified_at=None)
        links = AccountLinks(self.connection, self.identity)
        if user is not None:
            await links.send_verification(user, now)
            REGISTRATIONS.labels("created").inc()
        else:
            await links.notify_taken(email, now)
            REGISTRATIONS.labels("address_taken").inc()

    async def login(self, email: str, password: str, client_address: str) -> UserRow:
        """Check credentials; failures are recorded (the caller commits them before answering)."""
        now = utcnow()
        # Clipped: lower() can lengthen text ("İ" becomes two characters), and an address that
        # long was a 500 instead of a 401. Real addresses are far shorter.
        account = email.strip().lower()[:THROTTLE_ACCOUNT_LENGTH]
        user = await self.users.by_email(email)
        known = user is not None and await self.sign_in_addresses.known(
            user.id, client_address, now - self.identity.known_address_age
        )
        try:
            await self.throttle.check_login(account, client_address, known, now)
        except LoginThrottled:
            LOGINS.labels("throttled").inc()
            raise
        if not await self.identity.hasher.verify(password, user.password_hash if user else None):
            await self.throttle.login_failed(account, client_address, now)
            LOGINS.labels("bad_credentials").inc()
            raise InvalidCredentials()
        assert user is not None
        await self.throttle.login_succeeded(account, client_address)
        await self.sign_in_addresses.remember(user.id, client_address, now)
        LOGINS.labels("success").inc()
        return user

    async def me(self, user_id: uuid.UUID) -> UserOut:
        user = await self.users.by_id(user_id)
        if user is None:
            raise NotAuthenticated("The account of this token no longer exists.")
        return user_out(user)

    async def start_session(self, user: UserRow) -> SessionOut:
        """A new token family: an access token and the first refresh token."""
        return await self._issue(user, family_id=uuid.uuid4(), now=utcnow())

    async def refresh(self, presented: str) -> SessionOut:
        """Callers hold a transaction: the token row stays locked until it ends."""
        secret = RefreshSecret.parse(presented)
        row = await self.tokens.lock(secret.id) if secret else None
        now = utcnow()
        if secret is None or row is None or not secret.matches(row.secret_hash):
            raise InvalidRefreshToken()
        if row.revoked_at is not None or row.expires_at <= now:
            raise InvalidRefreshToken()
        if row.rotated_at is not None:
            return await self._reused(secret, row, now)
        user = await self.users.by_id(row.user_id)
        if user is None:
            raise InvalidRefreshToken()
        pair = await self._issue(user, family_id=row.family_id, now=now)
        await self.tokens.rotated(row.id, now, secret.seal(pair.model_dump(mode="json")))
        return pair

    async def _reused(
        self, secret: RefreshSecret, row: RefreshTokenRow, now: datetime
    ) -> SessionOut:
        """Two tabs refreshing at once get the same pair; a later reuse means theft."""
        grace = timedelta(seconds=self.identity.settings.refresh_reuse_grace_seconds)
        assert row.rotated_at is not None
        if now - row.rotated_at <= grace and row.successor is not None:
            return SessionOut.model_validate(secret.open(row.successor))
        await self.tokens.revoke_family(row.family_id, now)
        REFRESH_REUSE.inc()
        raise RefreshTokenReused()

    async def logout(self, presented: str) -> None:
        secret = RefreshSecret.parse(presented)
        row = await self.tokens.lock(secret.id) if secret else None
        if secret is None or row is None or not secret.matches(row.secret_hash):
            raise InvalidRefreshToken()
        await self.tokens.revoke_family(row.family_id, utcnow())

    async def _issue(self, user: UserRow, *, family_id: uuid.UUID, now: datetime) -> SessionOut:
        settings = self.identity.settings
        ttl = timedelta(seconds=settings.access_token_ttl_seconds)
        access = self.identity.key.sign(
            access_claims(user.id, user.email, user.name, user.role, now, ttl)
        )
        refresh = RefreshSecret.new()
        expires_at = now + timedelta(days=settings.refresh_token_ttl_days)
        await self.tokens.add(refresh.id, family_id, user.id, refresh.digest, now, expires_at)
        return session_payload(user, access, refresh, settings.access_token_ttl_seconds)


def _taken() -> FieldProblem:
    return FieldProblem("email", "is already registered")
