"""The outbox relay against real PostgreSQL 15 and a real Apache Kafka 4.4 broker.

Some tests go through the running email-service (a send through the API ends up on the topic);
the others run relays in the test process over a database of their own, so that the service's
relay cannot take their rows.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from prometheus_client import REGISTRY

from eccs.contracts.messages import EmailRequestedV1, email_requested
from eccs.contracts.topics import ATTEMPT_HEADER, EMAIL_REQUESTED
from eccs.mail.outbox import OutboxRelay, RelaySettings
from eccs.mail.outbox.relay import RelayNotPublishing
from eccs.platform import db, migrations
from eccs.platform.kafka import KafkaSettings
from eccs.platform.settings import DatabaseSettings, load
from tests.conftest import Database
from tests.integration.conftest import Account, mark_failed
from tests.servers import postgres
from tests.servers.kafka import KafkaServer
from tests.waiting import wait_until

RELAY_DATABASE = "eccs_relay"

# --- the relay's own database and relays in this process ----------------------------------------


@pytest.fixture(scope="module")
def relay_db(postgres_server: postgres.PostgresServer) -> str:
    """A migrated database no running service relays from."""
    Database(postgres_server.url()).query(f"CREATE DATABASE {RELAY_DATABASE}")
    url = postgres_server.url(RELAY_DATABASE)
    migrations.upgrade(url.replace("postgresql://", "postgresql+asyncpg://"))
    return url


@pytest.fixture
async def relay_conn(relay_db: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(relay_db)
    yield connection
    await connection.execute("TRUNCATE emails, email_recipients, outbox CASCADE")
    await connection.close()


@asynccontextmanager
async def relay_running(
    db_url: str, bootstrap: str, **settings: object
) -> AsyncIterator[OutboxRelay]:
    database = db.Database(load(DatabaseSettings, {"DATABASE_URL": db_url}), application_name="t")
    await database.open()
    relay = OutboxRelay(
        database,
        load(KafkaSettings, {"KAFKA_BOOTSTRAP_SERVERS": bootstrap}),
        load(RelaySettings, {name: str(value) for name, value in settings.items()}),
    )
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()
        await database.close()


def nowhere() -> str:
    """A broker address nothing listens on."""
    return f"127.0.0.1:{postgres.free_port()}"


async def add_emails(
    conn: asyncpg.Connection,
    count: int,
    status: str = "queued",
    attempts: int = 0,
    idle: timedelta = timedelta(0),
) -> list[uuid.UUID]:
    """Emails in `status`, last updated `idle` ago, in one statement."""
    email_ids = [uuid.uuid4() for _ in range(count)]
    await conn.execute(
        "INSERT INTO emails (id, user_id, sender_name, sender_email, subject, text_body, status,"
        " attempts, created_at, updated_at) SELECT id, id, 'Relay Test', 'relay@example.test',"
        " 'Hello', 'Hi', $2, $3, now() - $4::interval, now() - $4::interval"
        " FROM unnest($1::uuid[]) AS id",
        email_ids,
        status,
        attempts,
        idle,
    )
    return email_ids


async def add_email(
    conn: asyncpg.Connection, status: str, attempts: int = 0, idle: timedelta = timedelta(0)
) -> uuid.UUID:
    [email_id] = await add_emails(conn, 1, status, attempts, idle)
    return email_id


async def add_requests(
    conn: asyncpg.Connection, email_ids: list[uuid.UUID], due_in: timedelta = timedelta(0)
) -> None:
    """Outbox rows for first attempts, as the send API writes them, in one statement."""
    rows = [email_requested(email_id, "new", 1, datetime.now(UTC)) for email_id in email_ids]
    await conn.execute(
        "INSERT INTO outbox (email_id, topic, key, payload, headers, available_at)"
        " SELECT id, $4, id::text, payload::jsonb, headers::jsonb, now() + $5::interval"
        " FROM unnest($1::uuid[], $2::text[], $3::text[]) AS r(id, payload, headers)",
        email_ids,
        [json.dumps(payload) for payload, _ in rows],
        [json.dumps(headers) for _, headers in rows],
        EMAIL_REQUESTED,
        due_in,
    )


async def unpublished(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds}s: {what}")
        await asyncio.sleep(0.1)


async def emails_by_id(conn: asyncpg.Connection) -> dict[uuid.UUID, tuple[str, datetime]]:
    rows = await conn.fetch("SELECT id, status, updated_at FROM emails")
    return {row["id"]: (row["status"], row["updated_at"]) for row in rows}


# --- reading the topic ----------------------------------------------------------------------------


async def records_on(bootstrap: str, topic: str = EMAIL_REQUESTED) -> list[ConsumerRecord]:
    """Every record on the topic now, read from the beginning without a consumer group."""
    # Without a group, a subscription is assigned every partition once the metadata arrives,
    # and reads each from its first record.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:

        async def assigned() -> bool:
            return bool(consumer.assignment())

        await eventually(assigned, 10, f"the partitions of {topic} are assigned")
        partitions = list(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


def for_keys(records: list[ConsumerRecord], keys: list[Any]) -> list[ConsumerRecord]:
    wanted = {str(key) for key in keys}
    return [record for record in records if record.key.decode() in wanted]


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}


def counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


# --- through the running email-service ----------------------------------------------------------


def relay_state(email_url: str) -> str:
    response = httpx.get(f"{email_url}/ready", timeout=5)
    assert response.status_code == 200, response.text  # PostgreSQL alone makes it ready
    return str(response.json()["checks"]["outbox_relay"])


@pytest.fixture
def publishing(kafka: KafkaServer, email_url: str) -> Iterator[KafkaServer]:
    """The broker, once the service's relay reports that it publishes."""
    wait_until(lambda: relay_state(email_url) == "ok", "the relay connects to Kafka", 60)
    yield kafka


def outbox_rows(database: Database, email_id: str) -> list[Any]:
    return database.query(
        "SELECT *, published_at - created_at AS delay FROM outbox WHERE email_id = $1",
        uuid.UUID(email_id),
    )


def is_published(database: Database, email_id: str) -> bool:
    return all(row["published_at"] is not None for row in outbox_rows(database, email_id))


def status_of(database: Database, email_id: str) -> str:
    rows = database.query("SELECT status FROM emails WHERE id = $1", uuid.UUID(email_id))
    return str(rows[0]["status"])


def any_published(database: Database, email_ids: list[str]) -> bool:
    return any(row["published_at"] for e in email_ids for row in outbox_rows(database, e))


def all_published(database: Database, email_ids: list[str]) -> bool:
    return all(is_published(database, email_id) for email_id in email_ids)


def accepted(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_a_send_is_published_with_its_key_payload_and_attempt_header(
    alice: Account, database: Database, publishing: KafkaServer
) -> None:
    email_id = accepted(alice.send())

    wait_until(lambda: is_published(database, email_id), "the send is published", 10)

    [row] = outbox_rows(database, email_id)
    assert row["delay"] < timedelta(seconds=2)
    [record] = for_keys(asyncio.run(records_on(publishing.bootstrap)), [email_id])
    message = EmailRequestedV1.model_validate_json(record.value)
    assert (str(message.email_id), message.reason) == (email_id, "new")
    assert headers_of(record)[ATTEMPT_HEADER] == "1"
    assert status_of(database, email_id) == "queued"


def test_the_routes_that_write_requests_wake_the_relay(
    alice: Account, admin: Account, database: Database, publishing: KafkaServer
) -> None:
    """Each request goes out well within the relay's one-second poll: by chance alone, one run
    in several thousand would see that for all twelve."""
    sends = [accepted(alice.send()) for _ in range(8)]
    wait_until(lambda: all_published(database, sends), "the sends are published", 10)
    failed = [accepted(alice.send()) for _ in range(4)]
    wait_until(lambda: all_published(database, failed), "the sends are published", 10)
    for email_id in failed:
        mark_failed(database, email_id, "exhausted", attempts=4)

    for email_id in failed[:2]:
        assert alice.mail.post(f"/api/emails/{email_id}/retry").status_code == 202
    replay = admin.mail.post("/api/admin/dlq/replay", json={"reason": "exhausted", "limit": 100})
    assert set(failed[2:]) <= set(replay.json()["ids"]), replay.text
    wait_until(lambda: all_published(database, failed), "the new requests are published", 10)

    delays = [row["delay"] for e in [*sends, *failed] for row in outbox_rows(database, e)]
    assert len(delays) == 16  # a request for each, and a second for each failed email
    assert max(delays) < timedelta(seconds=0.5), delays


def test_a_scheduled_send_is_published_at_its_time_and_becomes_queued(
    alice: Account, database: Database, publishing: KafkaServer
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=4)
    email_id = accepted(alice.send(scheduled_at=when.isoformat()))

    assert not is_published(database, email_id)
    assert status_of(database, email_id) == "scheduled"
    wait_until(lambda: is_published(database, email_id), "the scheduled send is published", 20)

    [row] = outbox_rows(database, email_id)
    assert row["published_at"] >= when
    assert status_of(database, email_id) == "queued"
    [record] = for_keys(asyncio.run(records_on(publishing.bootstrap)), [email_id])
    assert EmailRequestedV1.model_validate_json(record.value).reason == "scheduled"


@pytest.mark.slow
async def test_nothing_sent_during_a_kafka_outage_is_lost(
    alice: Account,
    database: Database,
    publishing: KafkaServer,
    email_url: str,
    relay_db: str,
    relay_conn: asyncpg.Connection,
) -> None:
    """The service's relay loses the broker while running; a relay started during the outage
    never had it. Both drain their backlog by themselves once the broker is back."""
    await asyncio.to_thread(publishing.stop)
    try:
        sends = [await asyncio.to_thread(alice.send) for _ in range(3)]
        sent = [accepted(response) for response in sends]
        direct = await add_emails(relay_conn, 3)
        await add_requests(relay_conn, direct)
        async with relay_running(relay_db, publishing.bootstrap) as relay:
            await eventually(
                lambda: asyncio.to_thread(lambda: relay_state(email_url) != "ok"),
                60,
                "the service reports that its relay cannot publish",
            )
            with pytest.raises(RelayNotPublishing, match="connecting to Kafka"):
                await relay.check()
            assert await unpublished(relay_conn) == 3
            assert not await asyncio.to_thread(any_published, database, sent)
            await asyncio.to_thread(publishing.start)

            await eventually(lambda: no_backlog(relay_conn), 90, "the relay's backlog drains")
            await eventually(
                lambda: asyncio.to_thread(all_published, database, sent),
                90,
                "the service's backlog drains",
            )
            await relay.check()  # publishing again
    finally:
        if not publishing.running:
            await asyncio.to_thread(publishing.start)
    records = for_keys(await records_on(publishing.bootstrap), [*sent, *direct])
    assert {record.key.decode() for record in records} == {*sent, *map(str, direct)}


async def no_backlog(conn: asyncpg.Connection) -> bool:
    return await unpublished(conn) == 0


# --- relays in this process -----------------------------------------------------------------------


async def test_two_relays_publish_each_of_500_rows_exactly_once(
    kafka: KafkaServer, relay_db: str, relay_conn: asyncpg.Connection
) -> None:
    email_ids = await add_emails(relay_conn, 500)
    async with (
        relay_running(relay_db, kafka.bootstrap, OUTBOX_BATCH_SIZE=50),
        relay_running(relay_db, kafka.bootstrap, OUTBOX_BATCH_SIZE=50),
    ):
        await add_requests(relay_conn, email_ids)
        await eventually(lambda: no_backlog(relay_conn), 60, "all 500 rows are published")

    records = for_keys(await records_on(kafka.bootstrap), email_ids)
    per_key = collections.Counter(record.key.decode() for record in records)
    assert len(per_key) == 500
    assert set(per_key.values()) == {1}


async def test_publishing_queues_due_emails_and_leaves_others_alone(
    kafka: KafkaServer, relay_db: str, relay_conn: asyncpg.Connection
) -> None:
    """A cancelled email whose row is still unpublished stays cancelled; so does any email the
    worker already holds. Scheduled and retrying emails become queued when their row goes out."""
    to_queue = [await add_email(relay_conn, status) for status in ("scheduled", "retrying")]
    left_alone = [await add_email(relay_conn, status) for status in ("cancelled", "sending")]
    before = await emails_by_id(relay_conn)

    async with relay_running(relay_db, kafka.bootstrap):
        await add_requests(relay_conn, [*to_queue, *left_alone])
        await eventually(lambda: no_backlog(relay_conn), 20, "the rows are published")

    after = await emails_by_id(relay_conn)
    assert [after[email_id][0] for email_id in to_queue] == ["queued", "queued"]
    assert all(after[email_id][1] > before[email_id][1] for email_id in to_queue)
    assert [after[email_id] for email_id in left_alone] == [before[e] for e in left_alone]


async def test_an_email_cancelled_as_it_falls_due_is_not_published_and_nothing_deadlocks(
    kafka: KafkaServer, relay_db: str, relay_conn: asyncpg.Connection
) -> None:
    """The cancel locks the email, then deletes its pending row, while the relay is publishing."""
    cancelled, other = await add_emails(relay_conn, 2, status="scheduled")
    canceller = await asyncpg.connect(relay_db)
    try:
        async with relay_running(relay_db, kafka.bootstrap), canceller.transaction():
            await canceller.execute(
                "UPDATE emails SET status = 'cancelled' WHERE id = $1", cancelled
            )
            await add_requests(relay_conn, [cancelled, other])
            await eventually(lambda: published(relay_conn, other), 20, "the other row goes out")
            drop = "DELETE FROM outbox WHERE email_id = $1 AND published_at IS NULL"
            await asyncio.wait_for(canceller.execute(drop, cancelled), timeout=10)
    finally:
        await canceller.close()

    assert for_keys(await records_on(kafka.bootstrap), [cancelled]) == []
    after = await emails_by_id(relay_conn)
    assert (after[cancelled][0], after[other][0]) == ("cancelled", "queued")


async def published(conn: asyncpg.Connection, email_id: uuid.UUID) -> bool:
    query = "SELECT count(*) FROM outbox WHERE email_id = $1 AND published_at IS NOT NULL"
    return int(await conn.fetchval(query, email_id)) > 0


async def test_a_wake_publishes_at_once_and_the_poll_finds_rows_written_elsewhere(
    kafka: KafkaServer, relay_db: str, relay_conn: asyncpg.Connection
) -> None:
    """With a one-minute poll, only the wake can explain a publish within seconds; with a short
    one, rows nobody woke the relay for (another process wrote them) go out all the same."""
    async with relay_running(relay_db, kafka.bootstrap, OUTBOX_POLL_SECONDS=60) as relay:
        await eventually(lambda: relay_ready(relay), 30, "the relay connects")
        await add_requests(relay_conn, await add_emails(relay_conn, 1))
        relay.wake()
        await eventually(lambda: no_backlog(relay_conn), 5, "published when woken")

    async with relay_running(relay_db, kafka.bootstrap, OUTBOX_POLL_SECONDS=1) as relay:
        await eventually(lambda: relay_ready(relay), 30, "the relay connects")
        await add_requests(relay_conn, await add_emails(relay_conn, 1))
        await eventually(lambda: no_backlog(relay_conn), 5, "published by the poll")


async def relay_ready(relay: OutboxRelay) -> bool:
    try:
        await relay.check()
    except Exception:
        return False
    return True


async def test_an_email_stuck_in_flight_is_requested_again_once_with_the_next_attempt(
    kafka: KafkaServer, relay_db: str, relay_conn: asyncpg.Connection
) -> None:
    an_hour = timedelta(hours=1)
    stuck = await add_email(relay_conn, "sending", attempts=2, idle=an_hour)
    requested = await add_email(relay_conn, "queued", idle=an_hour)
    await add_requests(relay_conn, [requested], due_in=an_hour)  # its request waits in the outbox
    others = [
        await add_email(relay_conn, status, attempts=1, idle=an_hour)
        for status in ("sent", "failed", "cancelled", "retrying", "scheduled")
    ]
    before = await emails_by_id(relay_conn)
    redeliveries = counter("eccs_outbox_redeliveries_total")

    # While nothing can be published, the request stays in the outbox: no second one is added,
    # though the email is idle past the timeout again.
    async with relay_running(relay_db, nowhere(), EMAIL_VISIBILITY_TIMEOUT_SECONDS=2):
        await eventually(lambda: requests_for(relay_conn, stuck, 1), 10, "stuck is re-requested")
        await asyncio.sleep(4)
    assert await requests_for(relay_conn, stuck, 1)
    assert await requests_for(relay_conn, requested, 1)
    assert counter("eccs_outbox_redeliveries_total") - redeliveries == 1
    after = await emails_by_id(relay_conn)
    assert after[stuck][0] == "queued"
    assert [after[e] for e in [requested, *others]] == [before[e] for e in [requested, *others]]

    async with relay_running(relay_db, kafka.bootstrap):
        await eventually(lambda: is_due_published(relay_conn), 20, "the request is published")
    [record] = for_keys(await records_on(kafka.bootstrap), [stuck])
    assert headers_of(record)[ATTEMPT_HEADER] == "3"
    assert EmailRequestedV1.model_validate_json(record.value).reason == "redelivery"


async def test_an_email_whose_request_just_went_out_is_not_requested_again(
    kafka: KafkaServer, relay_db: str, relay_conn: asyncpg.Connection
) -> None:
    """Accepted long ago (the broker was down) and published just now, a queued email waits its
    full visibility timeout from the publication, not from its acceptance."""
    late = await add_email(relay_conn, "queued", idle=timedelta(hours=1))
    await add_requests(relay_conn, [late])
    redeliveries = counter("eccs_outbox_redeliveries_total")

    async with relay_running(relay_db, kafka.bootstrap, EMAIL_VISIBILITY_TIMEOUT_SECONDS=3):
        await eventually(lambda: no_backlog(relay_conn), 20, "the request is published")
        await asyncio.sleep(1.5)  # swept (every second) while its request is fresh
        assert await requests_for(relay_conn, late, 1)
        await eventually(lambda: requests_for(relay_conn, late, 2), 10, "requested again")

    assert counter("eccs_outbox_redeliveries_total") - redeliveries == 1


async def requests_for(conn: asyncpg.Connection, email_id: uuid.UUID, count: int) -> bool:
    rows = await conn.fetchval("SELECT count(*) FROM outbox WHERE email_id = $1", email_id)
    return int(rows) == count


async def is_due_published(conn: asyncpg.Connection) -> bool:
    due = "SELECT count(*) FROM outbox WHERE published_at IS NULL AND available_at <= now()"
    return int(await conn.fetchval(due)) == 0


async def test_old_published_rows_are_purged_and_the_backlog_is_measured(
    relay_db: str, relay_conn: asyncpg.Connection
) -> None:
    old, recent, due, later = await add_emails(relay_conn, 4)
    await add_requests(relay_conn, [old, recent, due])
    await add_requests(relay_conn, [later], due_in=timedelta(hours=1))
    await relay_conn.execute(
        "UPDATE outbox SET published_at = now() - CASE email_id WHEN $1 THEN interval '2 hours'"
        " ELSE interval '10 minutes' END, available_at = now() - interval '3 hours'"
        " WHERE email_id = ANY($2::uuid[])",
        old,
        [old, recent],
    )
    await relay_conn.execute(
        "UPDATE outbox SET available_at = now() - interval '90 seconds' WHERE email_id = $1", due
    )

    async with relay_running(relay_db, nowhere()) as relay:
        assert await relay.purge_published() == 1
        await relay.refresh_backlog()

    remaining = await relay_conn.fetch("SELECT email_id FROM outbox")
    assert {row["email_id"] for row in remaining} == {recent, due, later}
    assert counter("eccs_outbox_backlog") == 1
    assert 90 <= counter("eccs_outbox_oldest_due_age_seconds") < 120
