"""Composition root of email-service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from eccs.audit import open_audit_store, ready_check
from eccs.audit.settings import AuditSettings
from eccs.mail.contacts.endpoints import router as contacts
from eccs.mail.dlq.endpoints import router as dlq
from eccs.mail.emails.endpoints import admin_router as email_operations
from eccs.mail.emails.endpoints import router as emails
from eccs.mail.idempotency import IdempotencyStore
from eccs.mail.outbox import OutboxRelay, RelaySettings
from eccs.mail.settings import MailSettings
from eccs.mail.templates.endpoints import router as templates
from eccs.platform import db
from eccs.platform.background import periodically
from eccs.platform.http import create_app
from eccs.platform.kafka import KafkaSettings
from eccs.platform.security import CachedVerifier, JwksVerifier
from eccs.platform.settings import DatabaseSettings, HttpSettings, TokenVerifierSettings, load
from eccs.platform.telemetry import TelemetrySettings, configure_tracing

HOUSEKEEPING_SECONDS = 600.0


def build(environ: Mapping[str, str] | None = None) -> FastAPI:
    configure_tracing("email", load(TelemetrySettings, environ))
    database = load(DatabaseSettings, environ)
    http = load(HttpSettings, environ)
    mail = load(MailSettings, environ)
    auth = load(TokenVerifierSettings, environ)
    engine = db.create_engine(database, application_name="eccs-email")

    sessions = db.session_factory(engine)
    # Read-only here: each email's timeline comes from the audit trail the worker writes.
    audit = open_audit_store(load(AuditSettings, environ), engine, app_name="eccs-email")
    # The relay publishes what the API commits to the outbox; it needs no broker to start.
    relay = OutboxRelay(
        sessions, database.libpq_url(), load(KafkaSettings, environ), load(RelaySettings, environ)
    )

    async def housekeeping() -> None:
        async with sessions() as session:
            await IdempotencyStore(session, timedelta(0)).purge_expired(datetime.now(UTC))
            await session.commit()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        verifier = JwksVerifier(auth.auth_service_url)
        app.state.sessions = sessions
        app.state.mail_settings = mail
        app.state.token_verifier = CachedVerifier(verifier)
        app.state.audit = audit
        async with periodically("email-housekeeping", HOUSEKEEPING_SECONDS, housekeeping):
            await relay.start()
            try:
                yield
            finally:
                await relay.stop()
        await verifier.aclose()
        await audit.close()
        await engine.dispose()

    app = create_app(
        service="email",
        title="ECCS email-service",
        description="Send emails, follow their delivery, and manage templates and contacts.",
        lifespan=lifespan,
        ready_checks={"postgresql": lambda: db.ping(engine)},
        reported_checks={"outbox_relay": relay.check, "audit": ready_check(audit)},
        max_request_bytes=http.max_request_bytes,
        trusted_proxies=http.trusted_proxies,
    )
    for router in (emails, templates, contacts, dlq, email_operations):
        app.include_router(router)
    return app
