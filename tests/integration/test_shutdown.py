"""Every service exits within 15 s of SIGTERM, whatever state its broker and its database are in:
a broker restarted under it (Apache Kafka, and tansu, which keeps nothing across a restart), a
broker down, a database that accepts connections and never answers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from eccs.contracts.messages import email_requested
from tests.conftest import Service, start_service
from tests.servers import tansu
from tests.servers.kafka import KafkaServer
from tests.servers.postgres import free_port
from tests.servers.smtp import SmtpServer
from tests.waiting import wait_until

EXIT_SECONDS = 15.0
WORKER_ENV = {"SMTP_HOST": "127.0.0.1", "SMTP_STARTTLS": "false", "LOG_LEVEL": "info"}


def stop_within(service: Service, seconds: float = EXIT_SECONDS) -> float:
    """SIGTERM, then how long the process took to exit (failing past `seconds`)."""
    started = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    try:
        service.process.wait(seconds)
    except subprocess.TimeoutExpired:
        service.process.kill()
        service.process.wait(10)
        pytest.fail(f"{service.name} was still running {seconds}s after SIGTERM:\n{_tail(service)}")
    return time.monotonic() - started


def _tail(service: Service) -> str:
    return service.log.read_text(errors="replace")[-3000:]


async def _produce_requests(bootstrap: str, count: int) -> None:
    """Delivery requests for emails that do not exist: the worker reads, skips and commits them."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for _ in range(count):
            email_id = str(uuid.uuid4())
            payload, _ = email_requested(uuid.UUID(email_id), "new", 1, datetime.now(UTC))
            await producer.send(
                "eccs.email.requested",
                json.dumps(payload).encode(),
                key=email_id.encode(),
                headers=[("eccs-attempt", b"1")],
            )
        await producer.flush()
    finally:
        await producer.stop()


def produce(bootstrap: str, count: int = 20) -> None:
    asyncio.run(_produce_requests(bootstrap, count))


def consumed(service: Service) -> bool:
    return "attempt_skipped" in _tail(service)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def worker_env(service_env: dict[str, str], bootstrap: str, smtp: SmtpServer) -> dict[str, str]:
    return {
        **service_env,
        **WORKER_ENV,
        "SMTP_PORT": str(smtp.port),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
    }


def logs_in(work_dir: Path, name: str) -> Path:
    directory = work_dir / f"shutdown-{name}-{uuid.uuid4().hex[:6]}"
    directory.mkdir()
    return directory


def test_the_worker_stops_in_time_after_tansu_was_restarted_under_it(
    service_env: dict[str, str], smtp: SmtpServer, work_dir: Path
) -> None:
    with tansu.running(logs_in(work_dir, "tansu")) as broker:
        # As embedded mode sets it: tansu makes a new group wait about half of it.
        env = {
            **worker_env(service_env, broker.bootstrap, smtp),
            "KAFKA_SESSION_TIMEOUT_MS": "3000",
        }
        worker = start_service("notification", env, logs_in(work_dir, "worker"))
        produce(broker.bootstrap)
        wait_until(lambda: consumed(worker), "the worker consuming")

        broker.stop()
        broker.start()  # empty: no topics, no groups, no offsets
        produce(broker.bootstrap)
        time.sleep(3)  # the worker meets the new broker: reconnecting, rejoining, committing

        stop_within(worker)


def test_the_worker_stops_in_time_after_kafka_was_restarted_under_it(
    service_env: dict[str, str], smtp: SmtpServer, kafka: KafkaServer, work_dir: Path
) -> None:
    env = worker_env(service_env, kafka.bootstrap, smtp)
    worker = start_service("notification", env, logs_in(work_dir, "worker"))
    produce(kafka.bootstrap)
    wait_until(lambda: consumed(worker), "the worker consuming")

    kafka.stop()
    kafka.start()
    produce(kafka.bootstrap)
    time.sleep(3)

    stop_within(worker)


def test_the_worker_stops_in_time_while_kafka_is_down(
    service_env: dict[str, str], smtp: SmtpServer, kafka: KafkaServer, work_dir: Path
) -> None:
    env = worker_env(service_env, kafka.bootstrap, smtp)
    worker = start_service("notification", env, logs_in(work_dir, "worker"))
    produce(kafka.bootstrap)
    wait_until(lambda: consumed(worker), "the worker consuming")
    kafka.stop()
    try:
        time.sleep(3)
        stop_within(worker)
    finally:
        kafka.start()


@contextlib.contextmanager
def silent_database() -> Iterator[str]:
    """A PostgreSQL URL whose server accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"postgresql://eccs@127.0.0.1:{listener.getsockname()[1]}/eccs"
    finally:
        listener.close()
        for connection in held:
            connection.close()


def start_alive(name: str, env: dict[str, str], work_dir: Path) -> Service:
    """`eccs serve <name>` once it answers /health (it cannot be ready without its database)."""
    port = free_port()
    log = work_dir / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "eccs", "serve", name, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    service = Service(name, f"http://127.0.0.1:{port}", process, log)
    wait_until(lambda: _alive(service), f"{name} answering /health", timeout=60)
    return service


def _alive(service: Service) -> bool:
    if service.process.poll() is not None:
        raise AssertionError(f"{service.name} exited:\n{_tail(service)}")
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{service.url}/health", timeout=1).status_code == 200
    return False


@pytest.mark.parametrize("name", ["auth", "email", "notification"])
def test_a_service_stops_in_time_while_its_database_does_not_answer(
    service_env: dict[str, str], smtp: SmtpServer, kafka: KafkaServer, work_dir: Path, name: str
) -> None:
    with silent_database() as url:
        env = {**worker_env(service_env, kafka.bootstrap, smtp), "DATABASE_URL": url}
        service = start_alive(name, env, logs_in(work_dir, name))
        httpx.get(f"{service.url}/ready", timeout=10)  # something waits on the database now
        stop_within(service)
