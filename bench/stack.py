"""The system under test, as distributed mode runs it: PostgreSQL 15 with its default settings
(fsync on) on a copy of a cached database, Apache Kafka, Postfix's smtp-sink, and the services
as `eccs serve <name> --workers N` with their default settings.

Two settings differ from the defaults, and say why: the hourly send quota is lifted (a benchmark
sends more in a minute than the default allows in an hour) and bcrypt's cost is the lowest
(signing in is not measured; the cached users' hashes have that cost anyway).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench import seeding
from bench.console import progress
from bench.machine import Component
from eccs.identity.tokens import generate_ed25519_pem
from tests.servers import kafka, postgres
from tests.servers.services import Service, start_service

BENCH_ENV = {
    "SEND_QUOTA_PER_HOUR": "1000000000",
    "BCRYPT_ROUNDS": "4",
    **seeding.ACCOUNT_SETTINGS,
}
SMTP_FROM = "shop@example.com"
API_SERVICES = ("auth", "email")
ALL_SERVICES = ("auth", "email", "notification")
# Outbox rows the relay has not published yet: a run starts once the last run's are out.
UNPUBLISHED_SQL = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


@dataclass(frozen=True)
class Sink:
    """smtp-sink, appending every message it accepts to one file."""

    port: int
    pid: int
    received: Path


@dataclass(frozen=True)
class Stack:
    database_url: str
    services: dict[str, Service]
    components: list[Component]
    sink: Sink | None
    work: Path

    def url(self, service: str) -> str:
        return self.services[service].url

    def tokens(self, users: int) -> list[str]:
        """Access tokens of the first `users` benchmark users, freshly signed in."""
        with httpx.Client(base_url=self.url("auth"), timeout=30) as http:
            return [_sign_in(http, user) for user in range(users)]

    def wait_until_published(self, seconds: float = 120.0) -> None:
        """Until the relay has published every outbox row (so the next run starts quiet)."""
        asyncio.run(_wait_for_zero(self.database_url, UNPUBLISHED_SQL, seconds))


def _sign_in(http: httpx.Client, user: int) -> str:
    body = {"email": seeding.address(user), "password": seeding.PASSWORD}
    answer = http.post("/api/auth/login", json=body)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


async def _wait_for_zero(url: str, sql: str, seconds: float) -> None:
    connection = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + seconds
        while (left := await connection.fetchval(sql)) > 0:
            if time.monotonic() > deadline:
                progress(f"  still {left:,} outbox rows unpublished after {seconds:.0f} s")
                return
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


@contextmanager
def running(database: Path, workers: int, services: Sequence[str]) -> Iterator[Stack]:
    """Everything started on a copy of the cached `database`; stopped and deleted on exit. With
    notification-service among `services`, smtp-sink runs too and receives the mail."""
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="eccs-bench-"))
        work.chmod(0o755)  # PostgreSQL runs as another user when this runs as root
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        progress(f"Starting PostgreSQL, Kafka and {', '.join(services)} ({workers} worker(s))…")
        data = seeding.copy_of(database, work)
        server = stack.enter_context(postgres.serving(data, {}))
        broker = stack.enter_context(kafka.running(work / "kafka"))
        delivers = "notification" in services
        sink = stack.enter_context(smtp_sink(work / "sink")) if delivers else None
        url = server.url(seeding.DATABASE)
        env = _environment(url, broker.bootstrap, sink, work)
        started = stack.enter_context(_services(services, env, work, workers))
        components = _components(started, data, broker, sink)
        yield Stack(url, started, components, sink, work)


def _environment(
    database_url: str, bootstrap: str, sink: Sink | None, work: Path
) -> dict[str, str]:
    key = work / "jwt.pem"
    key.write_text(generate_ed25519_pem())
    env = {
        **os.environ,
        **BENCH_ENV,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "JWT_PRIVATE_KEY_FILE": str(key),
    }
    if sink is not None:
        env |= {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(sink.port),
            "SMTP_STARTTLS": "false",
            "SMTP_FROM": SMTP_FROM,
        }
    return env


@contextmanager
def _services(
    names: Sequence[str], env: dict[str, str], work: Path, workers: int
) -> Iterator[dict[str, Service]]:
    """auth-service first; the others are pointed at it."""
    started: dict[str, Service] = {}
    try:
        for name in names:
            started[name] = start_service(name, env, work, "--workers", str(workers))
            if name == "auth":
                env = {**env, "AUTH_SERVICE_URL": started[name].url}
        yield started
    finally:
        for service in reversed(started.values()):
            service.process.terminate()
            service.process.wait(30)


@contextmanager
def smtp_sink(directory: Path) -> Iterator[Sink]:
    """smtp-sink on a free port, without AUTH (or clients try it), appending what it accepts
    to `directory`/received."""
    directory.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # it must drop root, and then still write its dump
        shutil.chown(directory, "nobody")
        as_user = ["-u", "nobody"]
    port = postgres.free_port()
    received = directory / "received"
    command = ["smtp-sink", "-a", *as_user, "-D", str(received), f"127.0.0.1:{port}", "1024"]
    process = subprocess.Popen(command)
    try:
        _wait_listening(port, process)
        yield Sink(port, process.pid, received)
    finally:
        process.terminate()
        process.wait(10)


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"smtp-sink exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"smtp-sink did not listen on {port} within {timeout} s")


def _components(
    services: dict[str, Service], data: Path, broker: kafka.KafkaServer, sink: Sink | None
) -> list[Component]:
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    components = [Component(f"{name}-service", s.process.pid) for name, s in services.items()]
    components.append(Component("PostgreSQL", postmaster))
    if broker.pid is not None:
        components.append(Component("Kafka", broker.pid))
    if sink is not None:
        components.append(Component("smtp-sink", sink.pid))
    return components
