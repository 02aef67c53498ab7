"""Composition root of notification-service: the Kafka consumer that delivers email over SMTP.

It serves only operational HTTP (/health, /ready, /metrics); its work arrives on
`eccs.email.requested`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
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

log = structlog.get_logger("eccs.notification")
# The consumer's own stop is bounded (DRAIN_SECONDS and its steps); this is the backstop.
CONSUMER_STOP_SECONDS = 11.0
SHUTDOWN_STEP_SECONDS = 1.0


@dataclass(frozen=True)
class NotificationConfig:
    database: DatabaseSettings
    http: HttpSettings
    kafka: KafkaSettings
    smtp: SmtpSettings
    delivery: DeliverySettings
    audit: AuditSettings
    telemetry: TelemetrySettings

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
        )


def build(config: NotificationConfig) -> Service:
    configure_tracing("notification", config.telemetry)
    policy = DeliveryPolicy.from_settings(config.delivery)
    database = Database(config.database, application_name="eccs-notification")
    audit = open_audit_store(config.audit, database, app_name="eccs-notification")
    sender = SmtpSender(config.smtp)
    dlq_producer = producer(config.kafka, client_id="eccs-notification-dlq")
    handler = DeliveryHandler(
        database=database,
        sender=sender,
        audit=audit,
        dead_letters=DeadLetters(dlq_producer),
        policy=policy,
        smtp_from=config.smtp.smtp_from,
        worker=config.delivery.worker_name or default_worker_name(),
    )
    consumer = DeliveryConsumer(config.kafka, handler, policy.concurrency)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        await database.open()
        await _prepare(audit)
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
            # state the broker, the database or the SMTP relay is in.
            for step, seconds in (
                (work, CONSUMER_STOP_SECONDS),
                (sender.close(), SHUTDOWN_STEP_SECONDS),
                (audit.close(), SHUTDOWN_STEP_SECONDS),
                (database.close(), SHUTDOWN_STEP_SECONDS),
            ):
                with contextlib.suppress(Exception):
                    await bounded(step, seconds)

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
