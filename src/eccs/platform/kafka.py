"""Kafka clients as every service configures them, and topic creation.

An unreachable broker never stops a service from starting: callers keep retrying in the background
(`start_when_reachable`), and the API keeps accepting sends into the outbox meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Protocol

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from pydantic import Field

from eccs.platform.background import Abandoned, bounded
from eccs.platform.settings import Fragment

log = structlog.get_logger(__name__)
# Creating topics is a few round trips; a broker that takes longer is not answering.
TOPICS_SECONDS = 30.0


class KafkaSettings(Fragment):
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Partitions of the topics a service creates when they are missing.
    kafka_topic_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    # How long a consumer's fetch may wait for data. Short, because the embedded broker answers
    # a fetch only when this runs out, however soon data arrives.
    kafka_fetch_max_wait_ms: int = Field(default=100, ge=1)
    # How long a silent consumer keeps its partitions. The embedded broker also waits about half
    # of it before a group's first assignment, so embedded mode shortens it.
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000)

    @property
    def heartbeat_interval_ms(self) -> int:
        return max(self.kafka_session_timeout_ms // 5, 100)


class Startable(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """A producer whose sends complete only once every in-sync replica has the record.

    Not idempotent: the embedded broker refuses idempotent producers. Duplicates are harmless
    anyway, since the consumer skips any attempt that already finished.
    """
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15_000,
    )


async def start_when_reachable(client: Startable, what: str, stopping: asyncio.Event) -> bool:
    """Start a Kafka client, retrying with backoff until it connects or `stopping` is set.

    A start in progress is given up the moment `stopping` is set: against a broker that
    accepts connections but does not answer, it would otherwise hold up the shutdown.
    """
    delay = 0.5
    while not stopping.is_set():
        try:
            await bounded(client.start(), None, stopping)
            return True
        except Abandoned:
            return False
        except KafkaError as exc:
            log.warning("kafka_unreachable", client=what, error=str(exc), retry_in=delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay)
            delay = min(delay * 2, 10.0)
    return False


async def ensure_topics(
    settings: KafkaSettings, topics: Iterable[str], stopping: asyncio.Event | None = None
) -> None:
    """Create the topics that are missing (a no-op for those that exist); raises Abandoned when
    the broker does not answer in time or `stopping` is set first."""
    await bounded(_create_missing(settings, list(topics)), TOPICS_SECONDS, stopping)


async def _create_missing(settings: KafkaSettings, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=topic,
                num_partitions=settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
            )
            for topic in topics
            if topic not in existing
        ]
        if missing:
            # Another replica may create them first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
