"""Composition root of notification-service: the Kafka consumer that delivers email over SMTP,
and the webhook dispatcher that tells senders' endpoints what came of it.

It serves only operational HTTP (/health, /ready, /metrics); its work arrives on
`eccs.email.requested`, and webhook deliveries in PostgreSQL.

Why the dispatcher runs here rather than as a service of its own: most events are written by
this worker, in the statement that records an outcome, so it wakes the dispatcher in this
process at once instead of waiting for a poll; it scales with the workers (deliveries are
taken with SKIP LOCKED, so replicas share them); and it needs no deployment, scrape target or
network policy of its own beyond egress to the receivers. It cannot slow delivery down: it has
its own small database pool, bounded concurrency (per process and per endpoint) and a time
limit on every request, and it stops beside the consumer, within the same bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from eccs.audit import RETENTION_INTERVAL_SECONDS, open_audit_store, ready_check, retention_job
from eccs.audit.events import AuditStore
from eccs.audit.settings import AuditSettings
from eccs.delivery.consumer import DeliveryConsumer
from eccs.delivery.dead_letters import DeadLetters
from eccs.delivery.handler import DeliveryHandler
from eccs.delivery.notices import send_notice
from eccs.delivery.policy import DeliveryPolicy, DeliverySettings, default_worker_name
from eccs.delivery.settings import SmtpSettings
from eccs.delivery.smtp import SmtpSender
from eccs.platform.background import bounded, periodically
from eccs.platform.db import Database
from eccs.platform.http import create_app
from eccs.platform.kafka import KafkaSettings, producer, start_when_reachable
from eccs.platform.logging import configure_logging
from eccs.platform.service import ReadyChecks, Service
from eccs.platform.settings import DatabaseSettings, HttpSettings, LogSettings, load
from eccs.platform.telemetry import TelemetrySettings, configure_tracing
from eccs.webhooks.destinations import Destinations
from eccs.webhooks.dispatcher import WebhookDispatcher
from eccs.webhooks.notices import notice_text
from eccs.webhooks.queue import Notice
from eccs.webhooks.settings import WebhookSettings

log = structlog.get_logger("eccs.notification")
# The consumer's own stop is bounded (DRAIN_SECONDS and its steps); this is the backstop.
CONSUMER_STOP_SECONDS = 11.0
SHUTDOWN_STEP_SECONDS = 1.0
# The dispatcher gives requests under way 2 s, then cuts them short and releases them.
DISPATCHER_STOP_SECONDS = 4.0
# Connections of the dispatcher's own pool: it holds one only to take or record deliveries.
DISPATCHER_POOL_SIZE = 3


@dataclass(frozen=True)
class NotificationConfig:
    database: DatabaseSettings
    http: HttpSettings
    kafka: KafkaSettings
    smtp: SmtpSettings
    delivery: DeliverySettings
    audit: AuditSettings
    telemetry: TelemetrySettings
    webhooks: WebhookSettings
    # Webhook receivers on this machine: embedded mode only (never from the environment).
    webhook_loopback: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> NotificationConfig:
        smtp = load(SmtpSettings, environ)
        smtp.require_secrets()
        return cls(
            database=load(DatabaseSettings, environ),
            http=load(HttpSettings, environ),
            kafka=load(KafkaSettings, environ),
            smtp=smtp,
            delivery=load(DeliverySettings, environ),
            audit=load(AuditSettings, environ),
            telemetry=load(TelemetrySettings, environ),
            webhooks=load(WebhookSettings, environ),
        )


def build(config: NotificationConfig) -> Service:
    configure_tracing("notification", config.telemetry)
    policy = DeliveryPolicy.from_settings(config.delivery)
    # Its statements claim and record deliveries by their emails' ids (delivery/repository.py).
    database = Database(config.database, application_name="eccs-notification", by_key=True)
    audit = open_audit_store(config.audit, database, app_name="eccs-notification")
    sender = SmtpSender(config.smtp)
    dlq_producer = producer(config.kafka, client_id="eccs-notification-dlq")
    dispatcher = _dispatcher(config, sender)
    handler = DeliveryHandler(
        database=database,
        sender=sender,
        audit=audit,
        dead_letters=DeadLetters(dlq_producer),
        policy=policy,
        smtp_from=config.smtp.smtp_from,
        worker=config.delivery.worker_name or default_worker_name(),
        on_webhook_events=dispatcher.wake,
    )
    consumer = DeliveryConsumer(config.kafka, handler, policy.concurrency)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        await database.open()
        await dispatcher.database.open()
        await _prepare(audit)
        await dispatcher.start()
        work = asyncio.create_task(_work(dlq_producer, consumer, stopping), name="consumer")
        try:
            if audit.expires_by_itself:
                yield
            else:
                purge = retention_job(audit, config.audit)
                async with periodically("audit-retention", RETENTION_INTERVAL_SECONDS, purge):
                    yield
        finally:
            stopping.set()
            # Each step is bounded, so the service exits within 15 s of SIGTERM whatever
            # state the broker, the database or the SMTP relay is in: the consumer and the
            # dispatcher stop side by side (deliveries left wait in PostgreSQL for the next
            # process), then the connections close.
            await asyncio.gather(
                _quietly(work, CONSUMER_STOP_SECONDS), _stop_dispatcher(dispatcher)
            )
            for step in (sender.close(), audit.close(), database.close()):
                await _quietly(step, SHUTDOWN_STEP_SECONDS)

    checks = ReadyChecks(
        {"postgresql": database.ping, "kafka": consumer.check, "audit": ready_check(audit)}
    )
    app = create_app(
        service="notification",
        title="ECCS notification-service",
        description="Delivers queued emails over SMTP; operational endpoints only.",
        lifespan=lifespan,
        checks=checks,
        max_request_bytes=config.http.max_request_bytes,
        trusted_proxies=config.http.trusted_proxies,
    )
    return Service("notification", app, checks)


def app_from_environment() -> FastAPI:
    """For `eccs serve notification` (uvicorn builds it in each worker process)."""
    configure_logging(load(LogSettings), "notification")  # in each worker process uvicorn starts
    return build(configuration()).app


def configuration() -> NotificationConfig:
    """The service's configuration from the environment; ConfigError says what is wrong."""
    return NotificationConfig.from_environ()


async def _quietly(step: Awaitable[object], seconds: float) -> None:
    """One bounded step of the shutdown: whatever goes wrong in it stops no other step."""
    with contextlib.suppress(Exception):
        await bounded(step, seconds)


async def _stop_dispatcher(dispatcher: WebhookDispatcher) -> None:
    await _quietly(dispatcher.stop(), DISPATCHER_STOP_SECONDS)
    await _quietly(dispatcher.database.close(), SHUTDOWN_STEP_SECONDS)


def _dispatcher(config: NotificationConfig, sender: SmtpSender) -> WebhookDispatcher:
    """The webhook dispatcher, on a database pool of its own; owners of endpoints it disables
    are told through the SMTP relay."""
    pool = config.database.model_copy(update={"database_pool_size": DISPATCHER_POOL_SIZE})
    database = Database(pool, application_name="eccs-webhooks")
    destinations = Destinations.from_settings(config.webhooks, loopback=config.webhook_loopback)

    async def notify(notice: Notice) -> None:
        subject, text = notice_text(notice)
        await send_notice(sender, config.smtp.smtp_from, notice.owner_email, subject, text)

    return WebhookDispatcher(database, config.webhooks, destinations, notify)


async def _prepare(audit: AuditStore) -> None:
    """Create the audit store's indexes; a store that is down now is retried by its writes."""
    try:
        await audit.prepare()
    except Exception as exc:  # the worker still delivers; /ready reports the store
        log.warning("audit_store_not_prepared", error=repr(exc))


async def _work(
    dlq_producer: AIOKafkaProducer, consumer: DeliveryConsumer, stopping: asyncio.Event
) -> None:
    """Start the DLQ producer (it must be up before any message is handled), then consume."""
    if not await start_when_reachable(dlq_producer, "dlq-producer", stopping):
        return
    try:
        await consumer.run(stopping)
    finally:
        with contextlib.suppress(Exception):
            await bounded(dlq_producer.stop(), SHUTDOWN_STEP_SECONDS)
