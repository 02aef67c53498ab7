"""The notification worker's Kafka consumer: many messages at once, offsets committed safely.

Messages of a batch are handled concurrently (bounded by the policy's concurrency). A partition's
offset is committed only up to its lowest message still in flight, so a crash at any moment
resumes at the first message not fully handled; everything after it that was done is read again
and skipped by the handler (the attempt already finished). A handler never sleeps: a delayed
retry is an outbox row, so no partition waits behind one.

A message whose handling fails is that message's failure: the handler gives it up (its email
closes as failed/invalid, with a DLQ record) and the others go on. Only the infrastructure failing
(PostgreSQL or the broker) stops consumption: the consumer is rebuilt after a pause and resumes
from the last commit, as a restarted process would. Repeated restarts make /ready say `degraded`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition

from eccs.contracts.topics import EMAIL_DLQ, EMAIL_REQUESTED
from eccs.delivery.handler import Outcome
from eccs.delivery.incoming import Incoming
from eccs.platform import metrics
from eccs.platform.background import bounded
from eccs.platform.errors import Degraded
from eccs.platform.failures import is_infrastructure_failure
from eccs.platform.kafka import KafkaSettings, ensure_topics, start_when_reachable
from eccs.platform.logging import describe

log = structlog.get_logger("eccs.delivery")

GROUP = "eccs-notification"
COMMIT_EVERY_SECONDS = 1.0
RESTART_PAUSE_SECONDS = 2.0
# A stop is bounded whatever the broker and the database do (the service must exit within 15 s
# of SIGTERM): messages in flight get this long to finish, then each remaining step its own
# bound. A message cut short is read again and, past the visibility timeout, re-published.
DRAIN_SECONDS = 5.0
STOP_STEP_SECONDS = 2.0
# This many restarts within the window make the worker report itself degraded.
DEGRADED_AFTER_RESTARTS = 3
RESTART_WINDOW_SECONDS = 300.0


class Handler(Protocol):
    async def handle(self, record: Incoming) -> Outcome: ...

    async def give_up(self, record: Incoming, exc: BaseException) -> None: ...


class BrokerNotConnected(Exception):
    pass


class OffsetTracker:
    """Which offsets of each partition are in flight, and how far it is safe to commit."""

    def __init__(self) -> None:
        self._in_flight: dict[TopicPartition, set[int]] = {}
        self._next: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}

    def started(self, tp: TopicPartition, offset: int) -> None:
        self._in_flight.setdefault(tp, set()).add(offset)
        self._next[tp] = max(self._next.get(tp, 0), offset + 1)

    def finished(self, tp: TopicPartition, offset: int) -> None:
        self._in_flight[tp].discard(offset)

    def in_flight(self) -> int:
        return sum(len(offsets) for offsets in self._in_flight.values())

    def committable(self) -> dict[TopicPartition, int]:
        """Per partition, the next offset to read after a restart, where it moved on."""
        ready: dict[TopicPartition, int] = {}
        for tp, next_offset in self._next.items():
            offsets = self._in_flight.get(tp)
            safe = min(offsets) if offsets else next_offset
            if self._committed.get(tp) != safe:
                ready[tp] = safe
        return ready

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        self._committed.update(offsets)

    def forget(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self._in_flight.pop(tp, None)
            self._next.pop(tp, None)
            self._committed.pop(tp, None)


class DeliveryConsumer:
    def __init__(self, settings: KafkaSettings, handler: Handler, concurrency: int) -> None:
        self.settings = settings
        self.handler = handler
        self.concurrency = concurrency
        self.running = False  # consuming, with partitions assigned or waiting
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None
        self._restarts: deque[float] = deque(maxlen=DEGRADED_AFTER_RESTARTS)
        self._last_crash = ""

    async def check(self) -> None:
        """For /ready: consuming, and not restarting over and over."""
        recent = [at for at in self._restarts if time.monotonic() - at < RESTART_WINDOW_SECONDS]
        if len(recent) >= DEGRADED_AFTER_RESTARTS:
            raise Degraded(
                f"the consumer restarted {len(recent)} times in the last"
                f" {RESTART_WINDOW_SECONDS / 60:.0f} minutes; the last time: {self._last_crash}"
            )
        if not self.running:
            raise BrokerNotConnected("not consuming yet: the broker is unreachable or starting")

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set, rebuilding the consumer after any crash."""
        while not stopping.is_set():
            consumer = self._new_consumer()
            if not await start_when_reachable(consumer, "consumer", stopping):
                return
            try:
                await self._consume(consumer, stopping)
            except Exception as exc:  # resume from the last commit, as a restart would
                if not stopping.is_set():
                    self._crashed(exc)
            finally:
                await self._stop(consumer)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=RESTART_PAUSE_SECONDS)

    def _crashed(self, exc: Exception) -> None:
        metrics.CONSUMER_RESTARTS.inc()
        self._restarts.append(time.monotonic())
        self._last_crash = describe(exc)
        log.error("consumer_crashed", error=self._last_crash, resume_in=RESTART_PAUSE_SECONDS)

    def _new_consumer(self) -> AIOKafkaConsumer:
        self._tracker = OffsetTracker()
        self._failure = None
        return AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=GROUP,
            client_id="eccs-notification",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            max_poll_records=self.concurrency,
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.settings.heartbeat_interval_ms,
        )

    async def _consume(self, consumer: AIOKafkaConsumer, stopping: asyncio.Event) -> None:
        await ensure_topics(self.settings, [EMAIL_REQUESTED, EMAIL_DLQ], stopping)
        consumer.subscribe([EMAIL_REQUESTED], listener=_Rebalance(self, consumer))
        self.running = True
        last_commit = asyncio.get_running_loop().time()
        while not stopping.is_set():
            free = max(1, self.concurrency - self._tracker.in_flight())
            batches = await consumer.getmany(timeout_ms=500, max_records=free)
            for tp, records in batches.items():
                for record in records:
                    await self._start(tp, record, stopping)
            if self._failure is not None:
                raise self._failure
            now = asyncio.get_running_loop().time()
            if now - last_commit >= COMMIT_EVERY_SECONDS:
                await self.commit(consumer)
                await _report_lag(consumer)
                last_commit = now

    async def _start(
        self, tp: TopicPartition, record: ConsumerRecord[bytes, bytes], stopping: asyncio.Event
    ) -> None:
        # Waits while `concurrency` messages are in flight, but not past a stop: handlers held
        # up by a database that does not answer must not hold up the shutdown too.
        await bounded(self._slots.acquire(), None, stopping)
        self._tracker.started(tp, record.offset)
        task = asyncio.create_task(self._handle(tp, record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, tp: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> None:
        metrics.MESSAGES_IN_FLIGHT.inc()
        try:
            if await self._handled(_incoming(record)):
                self._tracker.finished(tp, record.offset)
        finally:
            metrics.MESSAGES_IN_FLIGHT.dec()
            self._slots.release()

    async def _handled(self, record: Incoming) -> bool:
        """Handle one message; False when the infrastructure failed and the message must wait
        for the restart (it stays in flight: its offset is never committed past)."""
        try:
            await self.handler.handle(record)
            return True
        except Exception as exc:
            failure: Exception = exc
            if not is_infrastructure_failure(exc):
                try:
                    await self.handler.give_up(record, exc)
                    return True
                except Exception as unrecorded:  # giving up needs the database and the broker
                    failure = unrecorded
            metrics.HANDLER_FAILURES.labels("infrastructure").inc()
            log.error(
                "message_failed",
                offset=record.offset,
                partition=record.partition,
                error=describe(failure),
            )
            self._failure = failure
            return False

    async def drain(self, seconds: float | None = None) -> None:
        """Let the messages in flight finish (each is bounded by the SMTP timeout); with
        `seconds`, cancel those still running after that long."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=seconds)
        for task in late:
            task.cancel()
        if late:
            log.warning("messages_cut_short", count=len(late))
            await asyncio.wait(late, timeout=STOP_STEP_SECONDS)

    def forget(self, partitions: set[TopicPartition]) -> None:
        self._tracker.forget(partitions)

    async def commit(self, consumer: AIOKafkaConsumer) -> None:
        offsets = self._tracker.committable()
        if offsets:
            await consumer.commit(offsets)
            self._tracker.committed(offsets)

    async def _stop(self, consumer: AIOKafkaConsumer) -> None:
        """Finish what is in flight, commit it, leave the group: each step bounded in time.

        With the broker gone a commit or a leave would wait forever; whatever is not committed
        is read again by the next start and skipped by the handler, so giving up is safe.
        """
        self.running = False
        await self.drain(DRAIN_SECONDS)
        with contextlib.suppress(Exception):
            await bounded(self.commit(consumer), STOP_STEP_SECONDS)
        with contextlib.suppress(Exception):
            await bounded(consumer.stop(), STOP_STEP_SECONDS)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions move to another worker, finish their messages and commit them."""

    def __init__(self, owner: DeliveryConsumer, consumer: AIOKafkaConsumer) -> None:
        self.owner = owner
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.owner.drain()
        with contextlib.suppress(Exception):
            await bounded(self.owner.commit(self.consumer), STOP_STEP_SECONDS)
        self.owner.forget(set(revoked))
        for tp in revoked:  # another worker reports it now; this one's last figure would linger
            metrics.CONSUMER_LAG.labels(str(tp.partition)).set(0)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions_assigned", partitions=sorted(tp.partition for tp in assigned))


def _incoming(record: ConsumerRecord[bytes, bytes]) -> Incoming:
    headers = {key: value.decode("utf-8", "replace") for key, value in record.headers or ()}
    return Incoming(record.topic, record.partition, record.offset, record.value, headers)


async def _report_lag(consumer: AIOKafkaConsumer) -> None:
    """Messages between this worker's position and the end of each of its partitions."""
    for tp in consumer.assignment():
        end = consumer.highwater(tp)  # known once a fetch for the partition has answered
        if end is not None:
            position = await consumer.position(tp)
            metrics.CONSUMER_LAG.labels(str(tp.partition)).set(max(0, end - position))
