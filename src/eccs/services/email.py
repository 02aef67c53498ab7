"""Composition root of email-service: the email API (single and batch sends), templates,
contacts, suppression lists and unsubscribe links, webhook endpoints, data exports, the
operators' API, the outbox relay that publishes what the API commits, and the erasure of deleted
accounts' data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from eccs.audit import open_audit_store, ready_check
from eccs.audit.settings import AuditSettings
from eccs.contracts.lifecycle import EmailStatus
from eccs.mail.account.endpoints import router as account
from eccs.mail.account.erasure import Eraser
from eccs.mail.batches.endpoints import router as batches
from eccs.mail.contacts.endpoints import router as contacts
from eccs.mail.dlq.endpoints import router as dlq
from eccs.mail.emails.endpoints import account_mail_router as account_emails
from eccs.mail.emails.endpoints import admin_router as email_operations
from eccs.mail.emails.endpoints import router as emails
from eccs.mail.emails.repository import EmailRepository
from eccs.mail.emails.sending import SharedSends
from eccs.mail.idempotency import IdempotencyStore
from eccs.mail.outbox import OutboxRelay, RelaySettings
from eccs.mail.settings import MailSettings
from eccs.mail.suppressions.endpoints import admin_router as suppressions_for_operators
from eccs.mail.suppressions.endpoints import complaints, unsubscribe_router
from eccs.mail.suppressions.endpoints import router as suppressions
from eccs.mail.templates.endpoints import router as templates
from eccs.platform.background import periodically
from eccs.platform.db import Database
from eccs.platform.http import create_app
from eccs.platform.kafka import KafkaSettings
from eccs.platform.logging import configure_logging
from eccs.platform.metrics import EMAILS_BY_STATUS
from eccs.platform.revocations import Revocations
from eccs.platform.security import (
    Authenticator,
    CachedKeys,
    CachedVerifier,
    JwksVerifier,
    RemoteKeyVerifier,
)
from eccs.platform.service import ReadyChecks, Service
from eccs.platform.settings import (
    DatabaseSettings,
    HttpSettings,
    LogSettings,
    TokenVerifierSettings,
    load,
)
from eccs.platform.telemetry import TelemetrySettings, configure_tracing
from eccs.webhooks.destinations import Destinations
from eccs.webhooks.endpoints import router as webhooks
from eccs.webhooks.settings import WebhookSettings

HOUSEKEEPING_SECONDS = 600.0
COUNTS_SECONDS = 10.0


@dataclass(frozen=True)
class EmailConfig:
    mail: MailSettings
    database: DatabaseSettings
    http: HttpSettings
    auth: TokenVerifierSettings
    audit: AuditSettings
    kafka: KafkaSettings
    relay: RelaySettings
    telemetry: TelemetrySettings
    webhooks: WebhookSettings
    # Webhook receivers on this machine: embedded mode only (never from the environment).
    webhook_loopback: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> EmailConfig:
        return cls(
            mail=load(MailSettings, environ),
            database=load(DatabaseSettings, environ),
            http=load(HttpSettings, environ),
            auth=load(TokenVerifierSettings, environ),
            audit=load(AuditSettings, environ),
            kafka=load(KafkaSettings, environ),
            relay=load(RelaySettings, environ),
            telemetry=load(TelemetrySettings, environ),
            webhooks=load(WebhookSettings, environ),
        )


def build(config: EmailConfig) -> Service:
    configure_tracing("email", config.telemetry)
    # by_key: the send statement's lookups and the foreign-key checks of what it writes must
    # not keep the plans they got while the tables were small.
    database = Database(config.database, application_name="eccs-email", by_key=True)
    # Read here (each email's timeline), and written for the steps owners and operators take.
    audit = open_audit_store(config.audit, database, app_name="eccs-email")
    # The relay publishes what the API commits to the outbox; it needs no broker to start.
    relay = OutboxRelay(database, config.kafka, config.relay)
    revocations = Revocations(database.url, name="email")
    # Deleted accounts' data is erased as soon as the deletion is heard of.
    eraser = Eraser(database, audit, settle=config.relay.visibility_timeout)
    revocations.on_revoked(eraser.wake)

    async def housekeeping() -> None:
        async with database.connection() as connection:
            await IdempotencyStore(connection, timedelta(0)).purge_expired(datetime.now(UTC))

    async def count_emails() -> None:
        async with database.connection() as connection:
            counts = await EmailRepository(connection).count_all_by_status()
        for status in EmailStatus:  # every state, zero too: a dashboard shows 0, not nothing
            EMAILS_BY_STATUS.labels(status).set(counts.get(status, 0))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await database.open()
        await revocations.start()
        await eraser.start()
        verifier = JwksVerifier(config.auth.auth_service_url)
        keys = RemoteKeyVerifier(config.auth.auth_service_url)
        app.state.database = database
        app.state.mail_settings = config.mail
        app.state.shared_sends = SharedSends(database, config.mail)
        app.state.token_verifier = Authenticator(
            tokens=CachedVerifier(verifier),
            keys=CachedKeys(keys, revocations),
            revocations=revocations,
        )
        app.state.audit = audit
        app.state.relay = relay  # woken by the routes that write outbox rows
        # Endpoints' addresses are checked when they are registered, as the dispatcher does.
        app.state.webhook_destinations = Destinations.from_settings(
            config.webhooks, loopback=config.webhook_loopback
        )
        app.state.webhook_max_endpoints = config.webhooks.webhook_max_endpoints
        async with (
            periodically("email-housekeeping", HOUSEKEEPING_SECONDS, housekeeping),
            periodically("email-counts", COUNTS_SECONDS, count_emails),
        ):
            await relay.start()
            try:
                yield
            finally:
                await relay.stop()
        await eraser.stop()
        await revocations.stop()
        await keys.aclose()
        await verifier.aclose()
        await audit.close()
        await database.close()

    checks = ReadyChecks(
        {"postgresql": database.ping},
        reported={"outbox_relay": relay.check, "audit": ready_check(audit)},
    )
    app = create_app(
        service="email",
        title="ECCS email-service",
        description="Send emails, follow their delivery, and manage templates and contacts.",
        lifespan=lifespan,
        checks=checks,
        max_request_bytes=config.http.max_request_bytes,
        trusted_proxies=config.http.trusted_proxies,
    )
    for router in (
        batches,  # before emails: /api/emails/{id} would take `batches` for an id
        emails,
        complaints,
        templates,
        contacts,
        suppressions,
        webhooks,
        unsubscribe_router,
        account,
        dlq,
        email_operations,
        account_emails,
        suppressions_for_operators,
    ):
        app.include_router(router)
    return Service("email", app, checks)


def app_from_environment() -> FastAPI:
    """For `eccs serve email` (uvicorn builds it in each worker process)."""
    configure_logging(load(LogSettings), "email")  # in each worker process uvicorn starts
    return build(configuration()).app


def configuration() -> EmailConfig:
    """The service's configuration from the environment; ConfigError says what is wrong."""
    return EmailConfig.from_environ()
