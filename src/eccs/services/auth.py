"""Composition root of auth-service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from eccs.identity.endpoints import router
from eccs.identity.passwords import PasswordHasher
from eccs.identity.repository import (
    RefreshTokenRepository,
    SignInAddressRepository,
    ThrottleEventRepository,
)
from eccs.identity.service import Identity
from eccs.identity.settings import IdentitySettings
from eccs.identity.tokens import SigningKey
from eccs.platform import db
from eccs.platform.background import periodically
from eccs.platform.http import create_app
from eccs.platform.security import CachedVerifier, Principal
from eccs.platform.settings import DatabaseSettings, HttpSettings, load
from eccs.platform.telemetry import TelemetrySettings, configure_tracing


class LocalVerifier:
    """auth-service checks tokens with its own key rather than fetching its JWKS over HTTP."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    async def verify(self, token: str) -> Principal:
        return self.key.verify(token)


HOUSEKEEPING_SECONDS = 600.0


def build(environ: Mapping[str, str] | None = None) -> FastAPI:
    identity_settings = load(IdentitySettings, environ)
    configure_tracing("auth", load(TelemetrySettings, environ))
    database = load(DatabaseSettings, environ)
    http = load(HttpSettings, environ)
    identity = Identity(
        settings=identity_settings,
        key=SigningKey(identity_settings.private_key_pem()),
        hasher=PasswordHasher(identity_settings.bcrypt_rounds),
    )
    engine = db.create_engine(database, application_name="eccs-auth")

    sessions = db.session_factory(engine)

    async def housekeeping() -> None:
        now = datetime.now(UTC)
        longest_window = identity.throttle_rules().longest_window
        async with sessions() as session:
            await ThrottleEventRepository(session).purge_before(now - longest_window)
            await SignInAddressRepository(session).purge_before(now - identity.known_address_age)
            await RefreshTokenRepository(session).purge_expired(now)
            await session.commit()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = sessions
        app.state.identity = identity
        app.state.token_verifier = CachedVerifier(LocalVerifier(identity.key))
        async with periodically("auth-housekeeping", HOUSEKEEPING_SECONDS, housekeeping):
            yield
        await engine.dispose()

    app = create_app(
        service="auth",
        title="ECCS auth-service",
        description="Accounts, sign-in, token refresh and the keys that verify access tokens.",
        lifespan=lifespan,
        ready_checks={"postgresql": lambda: db.ping(engine)},
        max_request_bytes=http.max_request_bytes,
        trusted_proxies=http.trusted_proxies,
    )
    app.include_router(router)
    return app
