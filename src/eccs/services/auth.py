"""Composition root of auth-service: accounts, sign-in, API keys and the keys that sign access
tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI

from eccs.identity.account_endpoints import router as account
from eccs.identity.endpoints import router as sign_in
from eccs.identity.keys import KeyHasher, LocalKeys
from eccs.identity.passwords import PasswordHasher
from eccs.identity.repository import (
    AccountTokenRepository,
    RefreshTokenRepository,
    SignInAddressRepository,
    ThrottleEventRepository,
)
from eccs.identity.service import Identity
from eccs.identity.settings import IdentitySettings
from eccs.identity.tokens import SigningKey
from eccs.platform.background import periodically
from eccs.platform.db import Database
from eccs.platform.http import create_app
from eccs.platform.logging import configure_logging
from eccs.platform.revocations import Revocations
from eccs.platform.security import Authenticator, CachedKeys, CachedVerifier, Principal
from eccs.platform.service import ReadyChecks, Service
from eccs.platform.settings import DatabaseSettings, HttpSettings, LogSettings, load
from eccs.platform.telemetry import TelemetrySettings, configure_tracing

HOUSEKEEPING_SECONDS = 600.0


@dataclass(frozen=True)
class AuthConfig:
    identity: IdentitySettings
    database: DatabaseSettings
    http: HttpSettings
    telemetry: TelemetrySettings

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> AuthConfig:
        return cls(
            identity=load(IdentitySettings, environ),
            database=load(DatabaseSettings, environ),
            http=load(HttpSettings, environ),
            telemetry=load(TelemetrySettings, environ),
        )


class LocalVerifier:
    """auth-service checks tokens with its own key rather than fetching its JWKS over HTTP."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    async def verify(self, token: str) -> Principal:
        return self.key.verify(token)


def build(config: AuthConfig) -> Service:
    configure_tracing("auth", config.telemetry)
    settings = config.identity
    identity = Identity(
        settings=settings,
        key=SigningKey(settings.private_key_pem()),
        hasher=PasswordHasher(settings.bcrypt_rounds),
        public_url=settings.public_url(),
    )
    key_hasher = KeyHasher(settings.api_key_hmac_key())
    database = Database(config.database, application_name="eccs-auth")
    revocations = Revocations(config.database.libpq_url(), name="auth")

    async def housekeeping() -> None:
        now = datetime.now(UTC)
        async with database.connection() as connection:
            since = now - identity.throttle_rules().longest_window
            await ThrottleEventRepository(connection).purge_before(since)
            await SignInAddressRepository(connection).purge_before(now - identity.known_address_age)
            await RefreshTokenRepository(connection).purge_expired(now)
            await AccountTokenRepository(connection).purge_expired(now)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await database.open()
        await revocations.start()
        app.state.database = database
        app.state.identity = identity
        app.state.key_hasher = key_hasher
        app.state.token_verifier = Authenticator(
            tokens=CachedVerifier(LocalVerifier(identity.key)),
            keys=CachedKeys(LocalKeys(database, key_hasher), revocations),
            revocations=revocations,
        )
        async with periodically("auth-housekeeping", HOUSEKEEPING_SECONDS, housekeeping):
            yield
        await revocations.stop()
        await database.close()

    checks = ReadyChecks({"postgresql": database.ping})
    app = create_app(
        service="auth",
        title="ECCS auth-service",
        description="Accounts, sign-in, token refresh, API keys and the keys that verify access"
        " tokens.",
        lifespan=lifespan,
        checks=checks,
        max_request_bytes=config.http.max_request_bytes,
        trusted_proxies=config.http.trusted_proxies,
    )
    app.include_router(sign_in)
    app.include_router(account)
    return Service("auth", app, checks)


def app_from_environment() -> FastAPI:
    """For `eccs serve auth` (uvicorn builds it in each worker process)."""
    configure_logging(load(LogSettings), "auth")  # in each worker process uvicorn starts
    return build(configuration()).app


def configuration() -> AuthConfig:
    """The service's configuration from the environment; ConfigError says what is wrong."""
    return AuthConfig.from_environ()
