"""The delivery pipeline end to end, on real servers: the API and its outbox relay, Apache Kafka,
the notification worker, and an SMTP server whose answers each test scripts.

Every test gives its emails addresses of their own, so the SMTP server's scripted answers (counted
per recipient) and the messages it received never mix between tests.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.records_to_delete import RecordsToDelete
from aiokafka.structs import TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Database, Service, start_service
from tests.integration.conftest import Account
from tests.servers.kafka import KafkaServer
from tests.servers.proxy import Proxy, proxying
from tests.servers.smtp import ReceivedMessage, SmtpServer
from tests.waiting import stays, wait_for, wait_until

SMTP_FROM = "postmaster@eccs.test"
CONCURRENCY = 16
WORKER_ENV = {
    "SMTP_HOST": "127.0.0.1",
    "SMTP_STARTTLS": "false",
    "SMTP_FROM": SMTP_FROM,
    "SMTP_TIMEOUT_SECONDS": "3",
    "EMAIL_MAX_ATTEMPTS": "4",
    "EMAIL_RETRY_BASE_SECONDS": "0.4",
    "EMAIL_RETRY_MAX_SECONDS": "1.5",
    "DELIVERY_CONCURRENCY": str(CONCURRENCY),
    "LOG_LEVEL": "info",
}


# --- the worker and the SMTP server ------------------------------------------------------------


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


class Worker:
    """notification-service as a process the tests can kill and start again."""

    def __init__(self, env: dict[str, str], work_dir: Path) -> None:
        self.env = env
        self.work_dir = work_dir
        self.service: Service | None = None

    def start(self) -> None:
        self.service = start_service("notification", self.env, self.work_dir)

    def kill(self) -> None:
        assert self.service is not None
        self.service.process.send_signal(signal.SIGKILL)
        self.service.process.wait(10)

    def stop(self) -> None:
        if self.service and self.service.process.poll() is None:
            self.service.process.terminate()
            self.service.process.wait(30)

    def log(self) -> str:
        assert self.service is not None
        return self.service.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def worker(
    kafka: KafkaServer,
    services: dict[str, Service],
    service_env: dict[str, str],
    smtp: SmtpServer,
    work_dir: Path,
) -> Iterator[Worker]:
    env = {
        **service_env,
        **WORKER_ENV,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "SMTP_PORT": str(smtp.port),
    }
    running = Worker(env, work_dir)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def address() -> Callable[[str], str]:
    """Addresses unique to this test: address("ok") → ok-1a2b3c4d@example.test."""
    tag = uuid.uuid4().hex[:8]

    def make(name: str, domain: str = "example.test") -> str:
        return f"{name}-{tag}@{domain}"

    return make


def accepted_id(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def wait_for_status(account: Account, email_id: str, *statuses: str, timeout: float = 30) -> Any:
    def in_state() -> Any:
        email = account.mail.get(f"/api/emails/{email_id}").json()
        return email if email["status"] in statuses else None

    return wait_for(in_state, f"email {email_id} {' or '.join(statuses)}", timeout)


def received_for(smtp: SmtpServer, address: str) -> list[ReceivedMessage]:
    return [m for m in smtp.messages if address in m.recipients]


def stored_email(database: Database, email_id: str) -> Any:
    return database.query("SELECT * FROM emails WHERE id = $1", uuid.UUID(email_id))[0]


def events(database: Database, email_id: str) -> list[Any]:
    return database.query(
        "SELECT attempt, outcome, recipient, smtp_code, smtp_reply, latency_ms, worker, at"
        " FROM audit_events"
        " WHERE email_id = $1 ORDER BY at, id",
        uuid.UUID(email_id),
    )


def dead_letters(kafka: KafkaServer, email_id: str, timeout: float = 15) -> list[dict[str, Any]]:
    """The records for one email on eccs.email.dlq (read from the start with a fresh group)."""
    return asyncio.run(_read_topic(kafka.bootstrap, "eccs.email.dlq", email_id.encode(), timeout))


async def _read_topic(
    bootstrap: str, topic: str, key: bytes | None, seconds: float
) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    try:
        while not found and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                found += [json.loads(r.value) for r in records if key is None or r.key == key]
    finally:
        await consumer.stop()
    return found


# --- delivered as written ----------------------------------------------------------------------


def test_an_email_arrives_with_its_headers_bodies_and_attachments(
    worker: Worker,
    smtp: SmtpServer,
    alice: Account,
    address: Callable[..., str],
    database: Database,
) -> None:
    to, cc, bcc = address("to"), address("cc"), address("bcc")
    email_id = accepted_id(
        alice.send(
            to=[to],
            cc=[cc],
            bcc=[bcc],
            subject="Your receipt ✓",
            text="Thanks for your order.",
            html="<p>Thanks for your <b>order</b>.</p>",
            attachments=[
                {"filename": "receipt.txt", "content_type": "text/plain", "content_base64": "MTIz"}
            ],
        )
    )

    email = wait_for_status(alice, email_id, "sent")
    [message] = received_for(smtp, to)

    assert sorted(message.recipients) == sorted([to, cc, bcc])  # Bcc only in the envelope
    headers = message.message
    assert headers["Bcc"] is None and bcc not in message.raw.decode(errors="replace")
    assert headers["To"] == to and headers["Cc"] == cc
    assert headers["From"].addresses[0].addr_spec == SMTP_FROM
    assert headers["From"].addresses[0].display_name == "Alice"
    assert headers["Reply-To"].addresses[0].addr_spec == alice.email
    assert headers["Subject"] == "Your receipt ✓"
    assert headers["Message-ID"] == f"<{email_id}@eccs.test>"
    body = headers.get_body(("plain",))
    html = headers.get_body(("html",))
    assert body is not None and "Thanks for your order." in body.get_content()
    assert html is not None and "<b>order</b>" in html.get_content()
    [attachment] = list(headers.iter_attachments())
    assert attachment.get_filename() == "receipt.txt"
    assert attachment.get_content() in ("123", b"123")
    assert {r["address"]: r["status"] for r in email["recipients"]} == dict.fromkeys(
        [to, cc, bcc], "accepted"
    )
    trail = events(database, email_id)
    outcomes = [(e["outcome"], e["recipient"]) for e in trail]
    assert ("started", None) in outcomes
    assert all(e["latency_ms"] > 0 and e["worker"] for e in trail if e["outcome"] == "accepted")
    assert {("accepted", to), ("accepted", cc), ("accepted", bcc), ("sent", None)} <= set(outcomes)


def test_the_timeline_of_an_email_is_in_its_api_answer(
    worker: Worker, alice: Account, address: Callable[..., str]
) -> None:
    to = address("timeline")
    email_id = accepted_id(alice.send(to=[to]))

    email = wait_for_status(alice, email_id, "sent")

    outcomes = [(entry["attempt"], entry["outcome"]) for entry in email["timeline"]]
    assert outcomes[:2] == [(0, "submitted"), (1, "started")]
    accepted = [e for e in email["timeline"] if e["outcome"] == "accepted"]
    assert accepted[0]["recipient"] == to and accepted[0]["smtp_code"] == 250


# --- temporary and permanent failures ----------------------------------------------------------


def test_451_twice_then_250_is_retried_after_a_backoff_and_sent(
    worker: Worker,
    smtp: SmtpServer,
    alice: Account,
    address: Callable[..., str],
    database: Database,
) -> None:
    to = address("flaky")
    smtp.rules.recipient(to, "451 4.7.1 greylisted", "451 4.7.1 greylisted", "250")

    email_id = accepted_id(alice.send(to=[to]))
    email = wait_for_status(alice, email_id, "sent")

    assert email["attempts"] == 3
    deferred = [e for e in events(database, email_id) if e["outcome"] == "deferred"]
    assert [(e["attempt"], e["smtp_code"]) for e in deferred] == [(1, 451), (2, 451)]
    assert "greylisted" in deferred[0]["smtp_reply"]
    assert len(received_for(smtp, to)) == 1


def test_550_fails_at_once_is_never_retried_and_is_dead_lettered(
    worker: Worker,
    smtp: SmtpServer,
    kafka: KafkaServer,
    alice: Account,
    address: Callable[..., str],
) -> None:
    to = address("gone")
    smtp.rules.recipient(to, "550 5.1.1 no such user")

    email_id = accepted_id(alice.send(to=[to]))
    email = wait_for_status(alice, email_id, "failed")
    stays(  # longer than any backoff: a retry would have happened by now
        lambda: alice.mail.get(f"/api/emails/{email_id}").json()["attempts"] == 1,
        "one attempt only",
        seconds=1.5,
    )

    assert email["attempts"] == 1
    [recipient] = email["recipients"]
    assert (recipient["status"], recipient["smtp_code"]) == ("refused", 550)
    [letter] = dead_letters(kafka, email_id)
    assert letter["reason"] == "refused"
    assert letter["smtp_replies"][0]["code"] == 550
    assert json.loads(letter["original_value"])["email_id"] == email_id
    assert letter["origin"]["topic"] == "eccs.email.requested"


def test_a_server_that_always_answers_451_exhausts_the_attempts_then_dead_letters(
    worker: Worker,
    smtp: SmtpServer,
    kafka: KafkaServer,
    alice: Account,
    address: Callable[..., str],
) -> None:
    to = address("down")
    smtp.rules.recipient(to, "451 4.4.1 mailbox busy")

    email_id = accepted_id(alice.send(to=[to]))
    email = wait_for_status(alice, email_id, "failed", timeout=60)

    assert email["attempts"] == 4
    assert email["recipients"][0]["status"] == "abandoned"
    [letter] = dead_letters(kafka, email_id)
    assert letter["reason"] == "exhausted"
    assert [a["attempt"] for a in letter["attempts"]] == [1, 2, 3, 4]


def test_one_refused_and_one_accepted_is_sent_with_the_refusal_listed(
    worker: Worker, smtp: SmtpServer, alice: Account, address: Callable[..., str]
) -> None:
    good, bad = address("good"), address("bad")
    smtp.rules.recipient(bad, "550 5.1.1 unknown")

    email_id = accepted_id(alice.send(to=[good, bad]))
    email = wait_for_status(alice, email_id, "sent")

    outcomes = {r["address"]: (r["status"], r["smtp_code"]) for r in email["recipients"]}
    assert outcomes == {good: ("accepted", 250), bad: ("refused", 550)}


def test_a_retry_goes_only_to_the_recipients_still_unanswered(
    worker: Worker, smtp: SmtpServer, alice: Account, address: Callable[..., str]
) -> None:
    done, later = address("done"), address("later")
    smtp.rules.recipient(later, "451", "250")

    email_id = accepted_id(alice.send(to=[done, later]))
    wait_for_status(alice, email_id, "sent")

    transactions = [
        m.recipients for m in smtp.messages if done in m.recipients or later in m.recipients
    ]
    assert transactions == [[done], [later]]


# --- things that must not stop delivery --------------------------------------------------------


def test_a_poison_message_goes_to_the_dlq_and_does_not_block_its_partition(
    worker: Worker,
    smtp: SmtpServer,
    kafka: KafkaServer,
    alice: Account,
    address: Callable[..., str],
) -> None:
    marker = uuid.uuid4().hex
    asyncio.run(_produce_garbage(kafka.bootstrap, marker))
    to = address("after-poison")

    email_id = accepted_id(alice.send(to=[to]))

    wait_for_status(alice, email_id, "sent")
    letters = asyncio.run(_read_topic(kafka.bootstrap, "eccs.email.dlq", None, 15))
    poisoned = [letter for letter in letters if marker in letter["original_value"]]
    assert poisoned and all(letter["reason"] == "invalid" for letter in poisoned)


async def _produce_garbage(bootstrap: str, marker: str) -> None:
    """One unreadable message on every partition, so the next email shares one with it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        partitions = await producer.partitions_for("eccs.email.requested")
        for partition in partitions:
            await producer.send_and_wait(
                "eccs.email.requested", f"not json {marker}".encode(), partition=partition
            )
    finally:
        await producer.stop()


def test_a_scheduled_email_goes_out_at_its_time_not_before(
    worker: Worker, smtp: SmtpServer, alice: Account, address: Callable[..., str]
) -> None:
    to = address("later")
    due = time.time() + 4
    scheduled_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(due)) + "Z"

    email_id = accepted_id(alice.send(to=[to], scheduled_at=scheduled_at))
    stays(lambda: received_for(smtp, to) == [], "nothing delivered before its time", 2)
    assert alice.mail.get(f"/api/emails/{email_id}").json()["status"] == "scheduled"

    wait_for_status(alice, email_id, "sent", timeout=30)
    assert time.time() >= int(due)


def test_sends_are_accepted_while_kafka_is_down_and_delivered_after_it_returns(
    worker: Worker,
    smtp: SmtpServer,
    kafka: KafkaServer,
    alice: Account,
    address: Callable[..., str],
) -> None:
    kafka.stop()
    try:
        ids = {
            address(f"outage{n}"): accepted_id(alice.send(to=[address(f"outage{n}")]))
            for n in range(5)
        }
    finally:
        kafka.start()

    for email_id in ids.values():
        wait_for_status(alice, email_id, "sent", timeout=90)
    assert all(len(received_for(smtp, to)) == 1 for to in ids)


def _store_unsendable(database: Database, email_id: str, column: str, value: str) -> None:
    """Give a waiting email content no message can carry, as data written before the API checked
    it (or by a bug) would be, then make its delivery request due at once."""
    key = uuid.UUID(email_id)
    database.query(f"UPDATE emails SET {column} = $2 WHERE id = $1", key, value)  # noqa: S608
    database.query("UPDATE outbox SET available_at = now() WHERE email_id = $1", key)


@pytest.mark.parametrize(
    ("column", "line_break"), [("subject", "\u2028"), ("subject", "\r\n"), ("sender_name", "\n")]
)
def test_an_email_no_message_can_carry_fails_as_invalid_and_stops_nothing(
    worker: Worker,
    smtp: SmtpServer,
    kafka: KafkaServer,
    alice: Account,
    address: Callable[..., str],
    database: Database,
    column: str,
    line_break: str,
) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    bad_id = accepted_id(alice.send(to=[address("bad")], scheduled_at=later))
    _store_unsendable(database, bad_id, column, f"Hi{line_break}Bcc: victim@example.test")
    good = address("good")
    good_id = accepted_id(alice.send(to=[good]))

    email = wait_for_status(alice, bad_id, "failed")
    wait_for_status(alice, good_id, "sent")

    stored = stored_email(database, bad_id)
    assert (stored["failure_reason"], stored["attempts"]) == ("invalid", 1)
    closing = email["timeline"][-1]
    assert closing["outcome"] == "dead_lettered"
    assert closing["detail"].startswith("invalid: the message could not be sent: ValueError")
    [letter] = dead_letters(kafka, bad_id)
    assert letter["reason"] == "invalid"
    assert "consumer_crashed" not in worker.log()
    assert "victim" not in worker.log()  # the content never reaches the log
    assert len(received_for(smtp, good)) == 1


def test_an_email_whose_budget_is_spent_is_closed_not_published_again(
    worker: Worker,
    smtp: SmtpServer,
    kafka: KafkaServer,
    alice: Account,
    address: Callable[..., str],
    database: Database,
) -> None:
    """Stuck `sending` after its last attempt (its worker died): the visibility sweep asks for
    one more attempt, which the budget does not allow, so the email is closed as exhausted."""
    to = address("stuck")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    email_id = accepted_id(alice.send(to=[to], scheduled_at=later))
    key = uuid.UUID(email_id)
    database.query("DELETE FROM outbox WHERE email_id = $1", key)
    database.query(
        "UPDATE emails SET status = 'sending', attempts = 4, updated_at = now() - interval '1 hour'"
        " WHERE id = $1",
        key,
    )

    email = wait_for_status(alice, email_id, "failed", timeout=60)

    assert stored_email(database, email_id)["failure_reason"] == "exhausted"
    assert email["recipients"][0]["status"] == "abandoned"
    [letter] = dead_letters(kafka, email_id)
    assert letter["reason"] == "exhausted"
    assert received_for(smtp, to) == []
    requests = database.query(
        "SELECT headers FROM outbox WHERE email_id = $1 AND topic = 'eccs.email.requested'", key
    )
    assert [json.loads(r["headers"])["eccs-attempt"] for r in requests] == ["5"]


def test_internationalised_addresses_go_out_with_ascii_domains(
    worker: Worker, smtp: SmtpServer, alice: Account, address: Callable[..., str]
) -> None:
    tag = address("x").split("@")[0]
    idn, utf8 = f"info-{tag}@bücher.test", f"müller-{tag}@example.test"

    email_id = accepted_id(alice.send(to=[idn, utf8]))
    email = wait_for_status(alice, email_id, "sent")

    assert [r["address"] for r in email["recipients"]] == [idn, utf8]  # kept as typed
    assert {r["status"] for r in email["recipients"]} == {"accepted"}
    [received] = [m for m in smtp.messages if f"info-{tag}@xn--bcher-kva.test" in m.recipients]
    assert received.recipients == [f"info-{tag}@xn--bcher-kva.test", utf8]
    to_header = [a.addr_spec for a in received.message["To"].addresses]
    assert to_header == [f"info-{tag}@xn--bcher-kva.test", utf8]


def test_a_message_the_broker_lost_is_published_again_after_the_visibility_timeout(
    worker: Worker,
    smtp: SmtpServer,
    kafka: KafkaServer,
    alice: Account,
    address: Callable[..., str],
    database: Database,
) -> None:
    worker.stop()
    to = address("lost")
    try:
        email_id = accepted_id(alice.send(to=[to]))
        _wait_published(database, email_id)
        asyncio.run(_truncate_topic(kafka.bootstrap, "eccs.email.requested"))
    finally:
        worker.start()

    wait_for_status(alice, email_id, "sent", timeout=60)
    requests = database.query(
        "SELECT payload->>'reason' AS reason FROM outbox WHERE email_id = $1 ORDER BY id",
        uuid.UUID(email_id),
    )
    assert [r["reason"] for r in requests] == ["new", "redelivery"]
    assert len(received_for(smtp, to)) == 1


def _wait_published(database: Database, email_id: str, timeout: float = 15) -> None:
    wait_for(
        lambda: database.query(
            "SELECT 1 FROM outbox WHERE email_id = $1 AND published_at IS NOT NULL",
            uuid.UUID(email_id),
        ),
        "the outbox row published",
        timeout,
    )


async def _truncate_topic(bootstrap: str, topic: str) -> None:
    """Delete every record on the topic, as a broker that lost its data would have none."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            partitions = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        ends = await consumer.end_offsets(partitions)
        doomed = {tp: RecordsToDelete(before_offset=ends[tp]) for tp in partitions}
        await admin.delete_records(doomed, timeout_ms=10_000)
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


def test_a_worker_killed_in_the_middle_of_500_sends_delivers_every_email_once(
    worker: Worker,
    smtp: SmtpServer,
    register: Callable[..., Account],
    address: Callable[..., str],
    database: Database,
) -> None:
    accounts = [register(name=f"Sender {n}") for n in range(20)]  # the test quota is 25 an hour
    smtp.rules.delay["DATA"] = 0.02  # keep transactions in flight when the kill comes
    ids: list[str] = []
    for n in range(500):
        ids.append(accepted_id(accounts[n % 20].send(to=[address(f"bulk{n}")])))
        if n == 250:
            worker.kill()
            worker.start()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            [row] = database.query(
                "SELECT count(*) AS sent FROM emails"
                " WHERE id = ANY($1::uuid[]) AND status = 'sent'",
                [uuid.UUID(i) for i in ids],
            )
            if row["sent"] == 500:
                break
            time.sleep(0.5)
        assert row["sent"] == 500
    finally:
        smtp.rules.delay.pop("DATA", None)

    copies = Counter(m.message["Message-ID"] for m in smtp.messages if "bulk" in m.recipients[0])
    assert set(copies) == {f"<{i}@eccs.test>" for i in ids}
    duplicated = [message_id for message_id, count in copies.items() if count > 1]
    assert len(duplicated) <= CONCURRENCY  # only what was in flight when the worker died


# --- trace context ----------------------------------------------------------------------------


def test_the_api_requests_trace_continues_in_the_worker(
    worker: Worker, alice: Account, address: Callable[..., str]
) -> None:
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    response = alice.mail.post(
        "/api/emails/send",
        json={"to": [address("traced")], "subject": "Traced", "text": "hi"},
        headers={"traceparent": traceparent},
    )
    email_id = accepted_id(response)
    wait_for_status(alice, email_id, "sent")

    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    assert any(
        line.get("trace_id") == trace_id and line.get("email_id") == email_id for line in lines
    ), "no worker log line carries the request's trace id and the email id"


# --- operators ---------------------------------------------------------------------------------


def test_a_dlq_replay_sends_what_it_reports_and_nothing_twice(
    worker: Worker, smtp: SmtpServer, alice: Account, admin: Account, address: Callable[..., str]
) -> None:
    to = address("replayed")
    smtp.rules.recipient(to, "451 4.4.1 mailbox busy")
    email_id = accepted_id(alice.send(to=[to]))
    wait_for_status(alice, email_id, "failed", timeout=60)
    smtp.rules.recipient(to, "250")  # the mailbox works again

    first = admin.mail.post("/api/admin/dlq/replay", json={"reason": "exhausted", "limit": 100})
    second = admin.mail.post("/api/admin/dlq/replay", json={"reason": "exhausted", "limit": 100})

    assert first.status_code == 200, first.text
    assert email_id in first.json()["ids"]
    assert email_id not in second.json()["ids"]
    email = wait_for_status(alice, email_id, "sent")
    assert email["attempts"] == 5  # four before, one in the replay's fresh budget
    stays(lambda: len(received_for(smtp, to)) == 1, "delivered once", seconds=1)


def test_an_email_refused_with_550_is_not_replayed(
    worker: Worker, smtp: SmtpServer, alice: Account, admin: Account, address: Callable[..., str]
) -> None:
    to = address("refused")
    smtp.rules.recipient(to, "550 5.1.1 no such user", "250")
    email_id = accepted_id(alice.send(to=[to]))
    wait_for_status(alice, email_id, "failed")

    replay = admin.mail.post("/api/admin/dlq/replay", json={"limit": 100})
    retry = alice.mail.post(f"/api/emails/{email_id}/retry")

    assert email_id not in replay.json()["ids"]
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "nothing_to_retry"
    assert received_for(smtp, to) == []


# --- a worker that loses its database -------------------------------------------------------------


def _metric(worker: Worker, name: str, **labels: str) -> float:
    assert worker.service is not None
    text = httpx.get(f"{worker.service.url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def _through(proxy: Proxy, url: str) -> str:
    """The database URL with the proxy in place of the server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))


def test_a_database_lost_under_the_worker_restarts_its_consumer_and_leaves_it_degraded(
    worker: Worker,
    smtp: SmtpServer,
    alice: Account,
    address: Callable[..., str],
    database: Database,
    work_dir: Path,
) -> None:
    """Losing the database is the infrastructure's failure: the consumer restarts (the message
    comes back), /ready says the worker is degraded and why, and once the database is back
    every email is delivered."""
    host, port = urlsplit(database.url).hostname, urlsplit(database.url).port
    assert host is not None and port is not None
    worker.stop()
    with proxying(host, port) as proxy:
        cut_off = Worker({**worker.env, "DATABASE_URL": _through(proxy, database.url)}, work_dir)
        cut_off.start()
        try:
            proxy.cut()
            sent = [accepted_id(alice.send(to=[address(f"lost{n}")])) for n in range(3)]
            wait_until(
                lambda: _metric(cut_off, "eccs_consumer_restarts_total") >= 3,
                "three restarts of the consumer",
                timeout=60,
            )
            assert cut_off.service is not None
            ready = httpx.get(f"{cut_off.service.url}/ready", timeout=5)
            assert ready.status_code == 503, ready.text
            assert ready.json()["status"] in ("degraded", "not_ready")
            assert "restarted 3 times" in ready.json()["checks"]["kafka"]
            failures = _metric(
                cut_off, "eccs_delivery_handler_failures_total", kind="infrastructure"
            )
            assert failures >= 3

            proxy.restore()
            for email_id in sent:
                wait_for_status(alice, email_id, "sent", timeout=60)
        finally:
            cut_off.stop()
            worker.start()
