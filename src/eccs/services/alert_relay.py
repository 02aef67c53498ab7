"""Composition root of the alert relay: Alertmanager's webhook in, emails out through ECCS's
own API (see alerting/mailer.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from eccs.alerting.endpoints import router
from eccs.alerting.mailer import AlertMailer
from eccs.alerting.settings import AlertRelaySettings
from eccs.platform.http import create_app
from eccs.platform.logging import configure_logging
from eccs.platform.service import ReadyChecks, Service
from eccs.platform.settings import LogSettings, load

SEND_TIMEOUT_SECONDS = 15.0


def build(settings: AlertRelaySettings) -> Service:
    settings.require_secrets()
    assert settings.alert_relay_token is not None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS) as client:
            app.state.mailer = AlertMailer(settings, client)
            yield

    checks = ReadyChecks({})
    app = create_app(
        service="alert-relay",
        title="ECCS alert relay",
        description="Mails Alertmanager's notifications through ECCS's own API.",
        lifespan=lifespan,
        checks=checks,
        max_request_bytes=1024 * 1024,
        trusted_proxies=[],
    )
    app.state.relay_token = settings.alert_relay_token.get_secret_value()
    app.include_router(router)
    return Service("alert-relay", app, checks)


def app_from_environment(environ: Mapping[str, str] | None = None) -> FastAPI:
    """For `eccs serve alert-relay`."""
    configure_logging(load(LogSettings, environ), "alert-relay")
    return build(configuration(environ)).app


def configuration(environ: Mapping[str, str] | None = None) -> AlertRelaySettings:
    """The service's configuration from the environment; ConfigError says what is wrong."""
    return load(AlertRelaySettings, environ)
