"""Composition root of notification-service: the Kafka consumer that delivers email over SMTP.

It serves only operational HTTP (/health, /ready, /metrics); its work arrives on
`eccs.email.requested`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

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
from eccs.platform import db
from eccs.platform.background import bounded, periodically
from eccs.platform.http import create_app
from eccs.platform.kafka import KafkaSettings, producer, start_when_reachable
from eccs.platform.settings import DatabaseSettings, HttpSettings, load
from eccs.platform.telemetry import TelemetrySettings, configure_tracing

log = structlog.get_logger("eccs.notification")
# The consumer's own stop is bounded (DRAIN_SECONDS and its steps); this is the backstop.
CONSUMER_STOP_SECONDS = 11.0
SHUTDOWN_STEP_SECONDS = 1.0


def build(environ: Mapping[str, str] | None = None) -> FastAPI:
    configure_tracing("notification", load(TelemetrySettings, environ))
    database = load(DatabaseSettings, environ)
    http = load(HttpSettings, environ)
    kafka = load(KafkaSettings, environ)
    smtp = load(SmtpSettings, environ)
    smtp.require_secrets()
    delivery = load(DeliverySettings, environ)
    audit_settings = load(AuditSettings, environ)
    policy = DeliveryPolicy.from_settings(delivery)
    engine = db.create_engine(database, application_name="eccs-notification")
    sessions = db.session_factory(engine)
    audit = open_audit_store(audit_settings, engine, app_name="eccs-notification")
    sender = SmtpSender(smtp)
    dlq_producer = producer(kafka, client_id="eccs-notification-dlq")
    handler = DeliveryHandler(
        sessions=sessions,
        sender=sender,
        audit=audit,
        dead_letters=DeadLetters(dlq_producer),
        policy=policy,
        smtp_from=smtp.smtp_from,
        worker=delivery.worker_name or default_worker_name(),
    )
    consumer = DeliveryConsumer(kafka, handler, policy.concurrency)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        await _prepare(audit)
        work = asyncio.create_task(_work(dlq_producer, consumer, stopping), name="consumer")
        try:
            if audit.expires_by_itself:
                yield
            else:
                purge = retention_job(audit, audit_settings)
                async with periodically("audit-retention", RETENTION_INTERVAL_SECONDS, purge):
                    yield
        finally:
            stopping.set()
            # Each step is bounded, so the service exits within SHUTDOWN_SECONDS of SIGTERM
            # whatever state the broker, the database or the SMTP relay is in.
            for step, seconds in (
                (work, CONSUMER_STOP_SECONDS),
                (sender.close(), SHUTDOWN_STEP_SECONDS),
                (audit.close(), SHUTDOWN_STEP_SECONDS),
                (engine.dispose(), SHUTDOWN_STEP_SECONDS),
            ):
                with contextlib.suppress(Exception):
                    await bounded(step, seconds)

    return create_app(
        service="notification",
        title="ECCS notification-service",
        description="Delivers queued emails over SMTP; operational endpoints only.",
        lifespan=lifespan,
        ready_checks={
            "postgresql": lambda: db.ping(engine),
            "kafka": consumer.check,
            "audit": ready_check(audit),
        },
        max_request_bytes=http.max_request_bytes,
        trusted_proxies=http.trusted_proxies,
    )


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
            await dlq_producer.stop()
