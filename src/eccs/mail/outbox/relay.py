"""The outbox relay: publishes committed outbox rows to Kafka once they are due.

PostgreSQL is the system of record. A row is marked published only after the broker acknowledged
every record of its batch, in the transaction that claimed it (`FOR UPDATE SKIP LOCKED`), so any
number of relays can run side by side and none publishes a row another one holds. A failed batch
rolls back and is tried again; the worst case is a duplicate, which the worker skips.

The relay is woken by its own process once a request has committed outbox rows (`wake`, see
`mail/outbox/wake.py`), at the earliest future `available_at` (scheduled sends, retry backoffs),
and by a poll every `OUTBOX_POLL_SECONDS` (1 s), which finds what other processes wrote: the
workers' retries and dead letters, the command line's replays, other replicas' rows.

It is deliberately not woken by PostgreSQL's NOTIFY: a transaction that notifies takes a lock
that every other notifying transaction waits for until its commit is on disk, so a trigger
notifying on each send would make all sends commit one at a time (about 1,900 a second at most
on a two-core machine, against over 10,000 without it).

Alongside it run the visibility sweep (emails stuck `queued` or `sending` are requested again),
the backlog gauges and the purge of old published rows.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry.trace import SpanKind
from pydantic import Field

from eccs.contracts.outbox import add_to_outbox, delivery_request
from eccs.contracts.topics import EMAIL_REQUESTED, TRACEPARENT_HEADER
from eccs.mail.outbox.repository import DueRow, OutboxRepository
from eccs.platform import kafka
from eccs.platform.background import (
    Abandoned,
    bounded,
    drop_outcome,
    periodically,
    wait_for_event,
)
from eccs.platform.db import Database
from eccs.platform.listening import MAX_BACKOFF_SECONDS, FailureLog
from eccs.platform.logging import describe
from eccs.platform.metrics import (
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISH_LATENCY,
    OUTBOX_PUBLISHED,
    OUTBOX_REDELIVERIES,
)
from eccs.platform.settings import Fragment
from eccs.platform.telemetry import context_from, current_traceparent, span

log = structlog.get_logger("eccs.outbox")

BACKLOG_SECONDS = 5.0
PURGE_SECONDS = 60.0
# Published rows are kept this long (to look into a recent publish), then deleted in batches.
RETENTION = timedelta(hours=1)
PURGE_BATCH = 5_000
# On shutdown, an in-flight batch gets this long to be acknowledged before it is abandoned.
SHUTDOWN_GRACE_SECONDS = 5.0


class RelaySettings(Fragment):
    # Longer than the worker's SMTP timeout: an email still queued or sending after this is
    # published again from PostgreSQL.
    email_visibility_timeout_seconds: float = Field(default=60.0, gt=0)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    # How long the relay sleeps at most when its process does not wake it: how soon it publishes
    # rows other processes wrote.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)

    @property
    def visibility_timeout(self) -> timedelta:
        return timedelta(seconds=self.email_visibility_timeout_seconds)

    @property
    def sweep_seconds(self) -> float:
        return max(self.email_visibility_timeout_seconds / 4, 1.0)


class RelayNotPublishing(Exception):
    """Why the relay cannot publish right now (reported by /ready; sends are still accepted)."""


class OutboxRelay:
    """Publishes due outbox rows; `start()` returns at once, whether or not Kafka is reachable."""

    def __init__(
        self,
        database: Database,
        kafka_settings: kafka.KafkaSettings,
        settings: RelaySettings,
        client_id: str = "eccs-outbox-relay",
    ) -> None:
        self.database = database
        self.kafka_settings = kafka_settings
        self.settings = settings
        self.client_id = client_id
        self.failures = FailureLog("outbox_publish")
        self.problem: str | None = "not started"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._publishing: asyncio.Task[None] | None = None
        self._jobs = contextlib.AsyncExitStack()

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.problem = f"connecting to Kafka at {self.kafka_settings.kafka_bootstrap_servers}"
        self._producer = kafka.producer(self.kafka_settings, self.client_id)
        self._publishing = asyncio.create_task(self._publish_forever(), name="outbox-relay")
        for name, seconds, job in (
            ("outbox-visibility-sweep", self.settings.sweep_seconds, self.redeliver_stale),
            ("outbox-backlog", BACKLOG_SECONDS, self.refresh_backlog),
            ("outbox-purge", PURGE_SECONDS, self.purge_published),
        ):
            await self._jobs.enter_async_context(periodically(name, seconds, job))

    async def stop(self) -> None:
        """Stop publishing: the batch in flight may finish; if it cannot, it stays unpublished."""
        self._stopping.set()
        self._wake.set()
        await self._jobs.aclose()
        if self._publishing is not None:
            await asyncio.wait({self._publishing}, timeout=SHUTDOWN_GRACE_SECONDS)
            self._publishing.cancel()
            await asyncio.gather(self._publishing, return_exceptions=True)
        if self._producer is not None:
            with contextlib.suppress(KafkaError, Abandoned):
                await bounded(self._producer.stop(), SHUTDOWN_GRACE_SECONDS)
        self.problem = "stopped"

    def wake(self) -> None:
        """Outbox rows were committed: publish them now rather than at the next poll."""
        self._wake.set()

    async def check(self) -> None:
        """For /ready: raises while the relay connects to Kafka or after a failed round."""
        if self.problem is not None:
            raise RelayNotPublishing(self.problem)

    # --- publishing -------------------------------------------------------------------------

    async def _publish_forever(self) -> None:
        assert self._producer is not None
        if not await kafka.start_when_reachable(self._producer, "outbox-relay", self._stopping):
            return
        await self._ensure_topic()
        self.problem = None
        delay = 0.5
        while not self._stopping.is_set():
            self._wake.clear()  # a wake from here on triggers another round
            try:
                idle = await self._round()
            except Exception as exc:  # an outage must never end the relay: roll back, retry
                self._failed(exc)
                await wait_for_event(self._stopping, delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            delay = 0.5
            self._recovered()
            if idle > 0:
                await wait_for_event(self._wake, idle)

    async def _ensure_topic(self) -> None:
        try:
            await kafka.ensure_topics(self.kafka_settings, [EMAIL_REQUESTED], self._stopping)
        except (KafkaError, Abandoned) as exc:  # it may exist already, or the broker creates it
            log.warning("outbox_topic_not_created", topic=EMAIL_REQUESTED, error=describe(exc))

    async def _round(self) -> float:
        """Publish one batch; returns how long to sleep before the next round (0: go on)."""
        if await self._publish_batch() >= self.settings.outbox_batch_size:
            return 0.0
        async with self.database.connection() as connection:
            until_due = await OutboxRepository(connection).seconds_until_next_due()
        poll = self.settings.outbox_poll_seconds
        if until_due is None or until_due <= 0:
            # Nothing is waiting, or the due rows are held by another relay publishing them.
            return poll
        return min(until_due, poll)

    async def _publish_batch(self) -> int:
        async with self.database.transaction() as connection:
            outbox = OutboxRepository(connection)
            await outbox.plan_for_each_batch()
            rows = await outbox.claim_due(self.settings.outbox_batch_size)
            if not rows:
                return 0
            await self._send_all(rows)
            acknowledged_at = datetime.now(UTC)
            await outbox.mark_published([row.id for row in rows])
            await outbox.queue_emails([row.email_id for row in rows])
        record_published(rows, acknowledged_at)
        return len(rows)

    async def _send_all(self, rows: list[DueRow]) -> None:
        """Hand every record to the producer, then wait for all acknowledgements together."""
        assert self._producer is not None
        acks: list[asyncio.Future[Any]] = []
        try:
            for row in rows:
                # A span of the trace that asked for this record (its traceparent), which the
                # record carries on to its consumer in place of the asker's.
                with span(f"publish {row.topic}", context_from(row.headers), SpanKind.PRODUCER):
                    acks.append(await self._producer.send(row.topic, **record_of(row)))
            outcomes = await asyncio.gather(*acks, return_exceptions=True)
        except BaseException:
            for ack in acks:  # the batch is abandoned: its rows stay unpublished
                ack.add_done_callback(drop_outcome)
            raise
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    def _failed(self, exc: Exception) -> None:
        OUTBOX_PUBLISH_FAILURES.labels(type(exc).__name__).inc()
        self.problem = f"publishing failed: {describe(exc)}"
        self.failures.failed(exc)

    def _recovered(self) -> None:
        self.problem = None
        self.failures.recovered()

    # --- visibility timeout, gauges, housekeeping -------------------------------------------

    async def redeliver_stale(self) -> int:
        """Request again every email stuck `queued` or `sending` past the visibility timeout."""
        total = 0
        while True:
            count = await self._redeliver_batch()
            total += count
            if count < self.settings.outbox_batch_size:
                return total

    async def _redeliver_batch(self) -> int:
        limit = self.settings.outbox_batch_size
        async with self.database.transaction() as connection:
            outbox = OutboxRepository(connection)
            stale = await outbox.requeue_stale(self.settings.visibility_timeout, limit)
            now = datetime.now(UTC)
            # The next attempt of each: the worker claims exactly that one, and counts it
            # against the email's budget like any other.
            await add_to_outbox(
                connection,
                [
                    delivery_request(email_id, "redelivery", attempts + 1, now, due=now)
                    for email_id, attempts in stale
                ],
            )
        if stale:
            OUTBOX_REDELIVERIES.inc(len(stale))
            log.info("emails_redelivered", count=len(stale), first=str(stale[0][0]))
        return len(stale)

    async def refresh_backlog(self) -> None:
        async with self.database.connection() as connection:
            backlog = await OutboxRepository(connection).backlog()
        OUTBOX_BACKLOG.set(backlog.rows)
        OUTBOX_OLDEST_AGE.set(backlog.oldest_age_seconds)

    async def purge_published(self) -> int:
        total = 0
        while True:
            async with self.database.connection() as connection:
                count = await OutboxRepository(connection).purge_published(RETENTION, PURGE_BATCH)
            total += count
            if count < PURGE_BATCH:
                return total


def record_of(row: DueRow) -> dict[str, Any]:
    """The Kafka record of an outbox row: its key, its JSON payload and its string headers,
    the trace context being the active span's where there is one."""
    headers = dict(row.headers)
    if (traceparent := current_traceparent()) is not None:
        headers[TRACEPARENT_HEADER] = traceparent
    return {
        "key": row.key.encode(),
        "value": orjson.dumps(row.payload),
        "headers": [(name, value.encode()) for name, value in headers.items()],
    }


def record_published(rows: list[DueRow], acknowledged_at: datetime) -> None:
    for topic, count in collections.Counter(row.topic for row in rows).items():
        OUTBOX_PUBLISHED.labels(topic).inc(count)
    for row in rows:
        delay = (acknowledged_at - row.available_at).total_seconds()
        OUTBOX_PUBLISH_LATENCY.observe(max(delay, 0.0))
