"""The audit store contract, run against both stores: PostgreSQL, and MongoDB's wire protocol
(FerretDB on the test PostgreSQL). Then what only one of them does."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from bson import Binary
from pydantic import SecretStr
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from structlog.testing import capture_logs

from eccs.audit import AuditEvent, AuditSettings, AuditStore, open_audit_store, retention_job
from eccs.audit.mongo import connect
from eccs.platform.db import Database as PostgreSQL
from eccs.platform.settings import DatabaseSettings
from tests.conftest import Database
from tests.servers.postgres import free_port

APP = "eccs-tests"
# Microseconds on purpose: an event keeps its time to the millisecond, as MongoDB does, so
# both stores read back exactly what was recorded.
START = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)


def event(
    email_id: uuid.UUID, seconds: float = 0, outcome: str = "sent", attempt: int = 1, **fields: Any
) -> AuditEvent:
    """An event `seconds` after START; `fields` are the optional ones (recipient, smtp_code…)."""
    at = START + timedelta(seconds=seconds)
    return AuditEvent(email_id=email_id, attempt=attempt, outcome=outcome, at=at, **fields)


def mongodb_settings(server_url: str, database: str = "") -> AuditSettings:
    return AuditSettings(mongodb_url=SecretStr(server_url + database))


async def drop_database(url: str) -> None:
    client = connect(url, app_name=APP)
    await client.drop_database(client.get_default_database("eccs"))
    await client.close()


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[PostgreSQL]:
    engine = PostgreSQL(DatabaseSettings(database_url=database.url), application_name=APP)
    await engine.open()
    yield engine
    await engine.close()


@pytest.fixture(params=["postgresql", "mongodb"])
def settings(request: pytest.FixtureRequest) -> AuditSettings:
    if request.param == "postgresql":
        return AuditSettings()
    # A database per test, dropped afterwards, so no test sees another's events.
    return mongodb_settings(request.getfixturevalue("ferretdb_url"), f"audit_{uuid.uuid4().hex}")


@pytest.fixture
async def store(settings: AuditSettings, engine: PostgreSQL) -> AsyncIterator[AuditStore]:
    store = open_audit_store(settings, engine, app_name=APP)
    await store.prepare()
    yield store
    await store.close()
    if settings.mongodb_url is not None:
        await drop_database(settings.mongodb_url.get_secret_value())


# --- The contract: both stores -------------------------------------------------------------


async def test_timeline_returns_every_field_as_recorded_oldest_first(store: AuditStore) -> None:
    email_id = uuid.uuid4()
    started = event(email_id, 0, "started", worker="notification-7f9c:4242")
    refused = event(
        email_id,
        1.5,
        "refused",
        recipient="zoë@exämple.test",
        smtp_code=550,
        smtp_reply="5.1.1 Empfänger unbekannt / 受信者が存在しません ✉️",
        latency_ms=83.25,
        worker="notification-7f9c:4242",
        detail="permanent: no such user",
    )
    accepted = event(email_id, 1.2, "accepted", recipient="ann@example.test", smtp_code=250)
    await store.record([started, refused, accepted])

    timeline = await store.timeline(email_id)

    assert timeline == [started, accepted, refused]
    assert timeline[0].recipient is None and timeline[0].smtp_code is None


async def test_times_read_back_in_utc(store: AuditStore) -> None:
    email_id = uuid.uuid4()
    in_paris = datetime(2026, 3, 1, 10, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    await store.record([AuditEvent(email_id, 1, "started", in_paris)])

    [read] = await store.timeline(email_id)

    assert read.at == in_paris
    assert read.at.utcoffset() == timedelta(0)
    assert (read.at.hour, read.at.microsecond) == (9, 250000)


async def test_events_at_the_same_moment_keep_the_order_recorded(store: AuditStore) -> None:
    email_id = uuid.uuid4()
    first_batch = [event(email_id, 5, outcome) for outcome in ("started", "deferred", "failed")]
    second_batch = [event(email_id, 5, outcome) for outcome in ("retry_scheduled", "requeued")]
    await store.record(first_batch)
    await store.record(second_batch)

    timeline = await store.timeline(email_id)

    assert [e.outcome for e in timeline] == [
        "started",
        "deferred",
        "failed",
        "retry_scheduled",
        "requeued",
    ]


async def test_timeline_holds_only_that_emails_events(store: AuditStore) -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    await store.record([event(mine, 0), event(other, 1), event(mine, 2, "failed"), event(other, 3)])

    assert [e.outcome for e in await store.timeline(mine)] == ["sent", "failed"]
    assert {e.email_id for e in await store.timeline(mine)} == {mine}
    assert await store.timeline(uuid.uuid4()) == []


async def test_a_batch_of_hundreds_is_recorded_in_one_call(store: AuditStore) -> None:
    email_ids = [uuid.uuid4() for _ in range(3)]
    batch = [
        event(email_ids[n % 3], n / 10, attempt=n // 3 + 1, recipient=f"r{n}@example.test")
        for n in range(450)
    ]
    await store.record(batch)

    for email_id in email_ids:
        assert await store.timeline(email_id) == [e for e in batch if e.email_id == email_id]


async def test_a_batch_of_thousands_is_recorded_whole(store: AuditStore) -> None:
    # More events than one PostgreSQL statement has parameters for (32767, ten per event).
    email_id = uuid.uuid4()
    batch = [event(email_id, n / 1000, worker="w" * 200) for n in range(4000)]
    await store.record(batch)

    assert await store.timeline(email_id, limit=5000) == batch


async def test_recording_no_events_changes_nothing(store: AuditStore) -> None:
    email_id = uuid.uuid4()
    await store.record([event(email_id)])
    await store.record([])

    assert len(await store.timeline(email_id)) == 1


async def test_limit_returns_the_oldest_events(store: AuditStore) -> None:
    email_id = uuid.uuid4()
    events = [event(email_id, seconds) for seconds in (9, 3, 7, 1, 5)]
    await store.record(events)

    assert await store.timeline(email_id, limit=2) == [events[3], events[1]]
    with pytest.raises(ValueError, match="at least 1"):
        await store.timeline(email_id, limit=0)


async def test_purge_deletes_only_older_events_and_counts_them(store: AuditStore) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    at_cutoff, newer = event(one, 20), event(two, 30)
    await store.record([event(one, 0), event(two, 10), at_cutoff, newer])

    deleted = await store.purge(at_cutoff.at)

    assert deleted == 2
    assert await store.timeline(one) == [at_cutoff]
    assert await store.timeline(two) == [newer]
    assert await store.purge(at_cutoff.at) == 0
    assert await store.purge(at_cutoff.at + timedelta(microseconds=1)) == 1
    assert await store.timeline(one) == []


async def test_anonymise_keeps_what_happened_and_drops_who_it_was_about(
    store: AuditStore,
) -> None:
    erased, kept = uuid.uuid4(), uuid.uuid4()
    personal = {"recipient": "ann@example.test", "smtp_reply": "2.0.0 ann@example.test ok"}
    await store.record(
        [
            event(erased, 0, "started", worker="w1", detail="for ann@example.test"),
            event(erased, 1, "accepted", smtp_code=250, latency_ms=12.5, **personal),
            event(kept, 2, "accepted", smtp_code=250, **personal),
        ]
    )

    assert await store.anonymise([erased]) == 2

    assert await store.timeline(erased) == [
        event(erased, 0, "started", worker="w1"),
        event(erased, 1, "accepted", smtp_code=250, latency_ms=12.5),
    ]
    assert await store.timeline(kept) == [event(kept, 2, "accepted", smtp_code=250, **personal)]
    assert await store.anonymise([]) == 0


async def test_retention_job_deletes_events_past_the_retention(
    store: AuditStore, settings: AuditSettings
) -> None:
    email_id = uuid.uuid4()
    now = datetime.now(UTC)
    expired = AuditEvent(email_id, 1, "started", now - timedelta(days=90, minutes=1))
    kept = AuditEvent(email_id, 1, "sent", now - timedelta(days=89, hours=23))
    await store.record([expired, kept])

    assert await retention_job(store, settings)() == 1
    assert await store.timeline(email_id) == [kept]


async def test_prepare_again_keeps_the_store_working(store: AuditStore) -> None:
    email_id = uuid.uuid4()
    await store.record([event(email_id, 0)])
    expires_by_itself = store.expires_by_itself

    await store.prepare()
    await store.prepare()
    await store.record([event(email_id, 1, "failed")])

    assert [e.outcome for e in await store.timeline(email_id)] == ["sent", "failed"]
    assert store.expires_by_itself == expires_by_itself


async def test_nul_characters_in_smtp_replies_do_not_lose_the_batch(store: AuditStore) -> None:
    email_id = uuid.uuid4()
    await store.record(
        [event(email_id, 0, "started"), event(email_id, 1, "refused", smtp_reply="550 bad\x00guy")]
    )

    assert [e.smtp_reply for e in await store.timeline(email_id)] == [None, "550 bad\ufffdguy"]


async def test_ping_is_true_when_the_server_answers(store: AuditStore) -> None:
    assert await store.ping() is True


@pytest.mark.parametrize("store_kind", ["postgresql", "mongodb"])
async def test_ping_is_false_soon_when_nothing_listens(store_kind: str) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    engine = PostgreSQL(
        DatabaseSettings(database_url=f"postgresql://postgres@{nowhere}/eccs"), application_name=APP
    )
    await engine.open()
    settings = (
        mongodb_settings(f"mongodb://{nowhere}/") if store_kind == "mongodb" else AuditSettings()
    )
    store = open_audit_store(settings, engine, app_name=APP)
    started = time.monotonic()

    assert await store.ping() is False
    assert time.monotonic() - started < 5
    await store.close()
    await engine.close()


# --- Which store the settings choose --------------------------------------------------------


async def test_without_mongodb_url_events_go_to_the_audit_events_table(engine: PostgreSQL) -> None:
    store = open_audit_store(AuditSettings(), engine, app_name=APP)
    email_id = uuid.uuid4()
    await store.record([event(email_id, 0, "dead_lettered", detail="550 everywhere")])

    async with engine.connection() as connection:
        rows = await connection.fetch(
            "SELECT outcome, detail FROM audit_events WHERE email_id = $1", email_id
        )
        assert [tuple(row) for row in rows] == [("dead_lettered", "550 everywhere")]
    assert store.expires_by_itself is False


async def test_mongodb_url_without_a_database_writes_to_eccs_email_events(
    ferretdb_url: str, engine: PostgreSQL
) -> None:
    store = open_audit_store(mongodb_settings(ferretdb_url), engine, app_name=APP)
    email_id = uuid.uuid4()
    await store.record([event(email_id)])
    await store.close()

    client = connect(ferretdb_url, app_name=APP)
    try:
        stored = await client["eccs"]["email_events"].find_one({"email_id": email_id})
        assert stored is not None and stored["outcome"] == "sent"
    finally:
        await client.drop_database("eccs")
        await client.close()


# --- MongoDB only ------------------------------------------------------------------------------


@pytest.fixture
def mongo_database() -> str:
    return f"audit_{uuid.uuid4().hex}"


@pytest.fixture
async def mongo_store(
    ferretdb_url: str, mongo_database: str, engine: PostgreSQL
) -> AsyncIterator[AuditStore]:
    settings = mongodb_settings(ferretdb_url, mongo_database)
    store = open_audit_store(settings, engine, app_name=APP)
    yield store
    await store.close()
    await drop_database(ferretdb_url + mongo_database)


@pytest.fixture
async def events_collection(
    ferretdb_url: str, mongo_database: str
) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    """The store's collection as any other client sees it: pymongo's defaults, like mongosh."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferretdb_url)
    yield client[mongo_database]["email_events"]
    await client.close()


async def test_other_mongodb_clients_read_uuids_and_times_as_such(
    mongo_store: AuditStore, events_collection: AsyncCollection[dict[str, Any]]
) -> None:
    await mongo_store.prepare()
    recorded = event(uuid.uuid4())
    await mongo_store.record([recorded])

    stored = await events_collection.find_one()

    assert stored is not None
    assert stored["email_id"] == Binary.from_uuid(recorded.email_id)  # subtype 4: standard UUID
    assert stored["at"] == recorded.at.replace(tzinfo=None)  # a BSON date, in UTC
    assert "smtp_code" not in stored  # absent fields are left out, not stored as null


async def test_prepare_indexes_the_timeline_and_the_time(
    mongo_store: AuditStore, events_collection: AsyncCollection[dict[str, Any]]
) -> None:
    await mongo_store.prepare()

    indexes = await events_collection.index_information()

    keys = [index["key"] for index in indexes.values()]
    assert [("email_id", 1), ("at", 1), ("_id", 1)] in keys
    assert [("at", 1)] in keys


async def test_ferretdb_without_ttl_falls_back_to_periodic_deletes_and_says_so_once(
    mongo_store: AuditStore,
) -> None:
    with capture_logs() as logs:
        await mongo_store.prepare()
        await mongo_store.prepare()

    assert mongo_store.expires_by_itself is False
    notices = [line for line in logs if line["event"] == "audit_retention_by_periodic_deletes"]
    assert len(notices) == 1
