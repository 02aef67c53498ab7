"""Test harness: a real PostgreSQL, migrated once, and the real services as subprocesses.

Where a server cannot be had, a test skips with the reason on a developer's machine and fails in
CI (CI=true), so a missing server never passes unnoticed.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from eccs.identity.tokens import generate_ed25519_pem
from eccs.platform import migrations
from tests.servers import ferretdb, postgres
from tests.servers import kafka as kafka_servers
from tests.servers import smtp as smtp_servers
from tests.servers.postgres import free_port
from tests.servers.services import Service, start_service

IN_CI = os.environ.get("CI", "").lower() == "true"
TABLES = (
    "users, refresh_tokens, throttle_events, sign_in_addresses, account_tokens, api_keys,"
    " account_erasures, emails, email_recipients,"
    " email_attachments, outbox, templates, contacts, idempotency_keys, audit_events,"
    " email_counts, send_counts, email_batches, suppressions, webhook_endpoints, webhook_events,"
    " webhook_deliveries, webhook_attempts"
)
# The gateway's address as the services see it: X-Forwarded-For is believed only from here.
PROXY_ADDRESS = "127.0.0.2"
# Where the links in account emails lead (no web app answers there in these tests).
PUBLIC_URL = "https://eccs.example.test"
API_KEY_SECRET = "the-test-suite-api-key-secret-of-32-characters-or-more"


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"required test server missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def work_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The session's servers' data and services' logs: deleted when every test passed (each
    run holds a few hundred MB), kept to read when one failed."""
    path = Path(tempfile.mkdtemp(prefix="eccs-tests-"))
    path.chmod(0o755)  # the database server runs as another user and must reach its directory
    yield path
    if not request.session.testsfailed:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(work_dir: Path) -> Iterator[postgres.PostgresServer]:
    if reason := postgres.available():
        unavailable(reason)
    with postgres.running(work_dir) as server:
        yield server


@dataclass(frozen=True)
class Database:
    url: str

    def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async def run() -> list[asyncpg.Record]:
            connection = await asyncpg.connect(self.url)
            try:
                return list(await connection.fetch(sql, *args))
            finally:
                await connection.close()

        return asyncio.run(run())


@pytest.fixture(scope="session")
def database(postgres_server: postgres.PostgresServer) -> Database:
    Database(postgres_server.url()).query("CREATE DATABASE eccs")
    url = postgres_server.url("eccs")
    migrations.upgrade(url.replace("postgresql://", "postgresql+asyncpg://"))
    return Database(url)


@pytest.fixture(scope="session")
def ferretdb_url(work_dir: Path, postgres_server: postgres.PostgresServer) -> Iterator[str]:
    """A MongoDB-wire server: FerretDB 1.24 keeping its data in the test PostgreSQL.

    The URL names no database: give each test a database of its own and drop it afterwards.
    """
    if reason := ferretdb.available():
        unavailable(reason)
    try:
        ferretdb.ensure_built()
    except RuntimeError as exc:
        unavailable(f"FerretDB could not be built: {exc}")
    Database(postgres_server.url()).query("CREATE DATABASE ferretdb")
    with ferretdb.running(work_dir / "ferretdb", postgres_server.url("ferretdb")) as server:
        yield server.url


@pytest.fixture(scope="session")
def kafka(work_dir: Path) -> Iterator[kafka_servers.KafkaServer]:
    """A real Apache Kafka 4.4 (KRaft, one node) for the whole session.

    A test may stop and start it (same port, same data) but must leave it running.
    """
    if reason := kafka_servers.available():
        unavailable(reason)
    try:
        kafka_servers.ensure_fetched()
    except RuntimeError as exc:
        unavailable(f"the Kafka jars could not be fetched: {exc}")
    with kafka_servers.running(work_dir / "kafka") as server:
        yield server


def _kafka_for_services(request: pytest.FixtureRequest) -> dict[str, str]:
    """The broker the services talk to, when a test of this session uses Kafka: it must start
    before them. Sessions without such a test start no broker (the services run without one)."""
    if not any("kafka" in item.fixturenames for item in request.session.items):
        return {}
    try:
        broker: kafka_servers.KafkaServer = request.getfixturevalue("kafka")
    except pytest.skip.Exception:
        return {}  # the Kafka tests skip themselves; the others need no broker
    return {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap}


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "database" in request.fixturenames:
        request.getfixturevalue("database").query(f"TRUNCATE {TABLES} CASCADE")


@pytest.fixture(scope="session")
def jwt_key_file(work_dir: Path) -> Path:
    path = work_dir / "jwt.pem"
    path.write_text(generate_ed25519_pem())
    return path


TEST_LIMITS = {
    "SEND_QUOTA_PER_HOUR": "25",
    "MAX_RECIPIENTS_PER_EMAIL": "10",
    "MAX_REQUEST_BYTES": str(256 * 1024),
    # Short, so the tests of lost messages and killed workers need not wait a minute; still
    # longer than the test worker's SMTP timeout, as it must be.
    "EMAIL_VISIBILITY_TIMEOUT_SECONDS": "10",
    # The suite signs up hundreds of accounts from 127.0.0.1; the sign-up throttle is tested on
    # a service of its own with the default.
    "REGISTRATIONS_PER_ADDRESS": "100000",
}


@pytest.fixture(scope="session")
def service_env(
    database: Database, jwt_key_file: Path, request: pytest.FixtureRequest
) -> dict[str, str]:
    return {
        **os.environ,
        **_kafka_for_services(request),
        "DATABASE_URL": database.url,
        "JWT_PRIVATE_KEY_FILE": str(jwt_key_file),
        "API_KEY_SECRET": API_KEY_SECRET,
        "ECCS_PUBLIC_URL": PUBLIC_URL,
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "warning",
        "TRUSTED_PROXIES": PROXY_ADDRESS,
        **TEST_LIMITS,
    }


@pytest.fixture(scope="session")
def services(service_env: dict[str, str], work_dir: Path) -> Iterator[dict[str, Service]]:
    auth = start_service("auth", service_env, work_dir)
    port = free_port()  # its unsubscribe links point at itself
    public = f"http://127.0.0.1:{port}"
    env = {**service_env, "AUTH_SERVICE_URL": auth.url, "ECCS_PUBLIC_URL": public}
    email = start_service("email", env, work_dir, port=port)
    yield {"auth": auth, "email": email}
    for service in (email, auth):
        service.process.terminate()
        service.process.wait(10)


@pytest.fixture(scope="session")
def auth_url(services: dict[str, Service]) -> str:
    return services["auth"].url


@pytest.fixture(scope="session")
def email_url(services: dict[str, Service]) -> str:
    return services["email"].url


@pytest.fixture
def smtp_server() -> Iterator[smtp_servers.SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 with scriptable answers, fresh for each test."""
    with smtp_servers.SmtpServer() as server:
        yield server


# --- pages that must work offline ---------------------------------------------------------------


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def assert_served_alone(client: httpx.Client, page: str) -> list[str]:
    """The page and everything it refers to come from this service itself; returns the files."""
    response = client.get(page)
    assert response.status_code == 200, page
    assert re.search(r"https?://", response.text) is None, response.text
    parser = _References()
    parser.feed(response.text)
    for reference in parser.found:
        assert reference.startswith("/") and not reference.startswith("//"), reference
        asset = client.get(reference)
        assert asset.status_code == 200 and asset.content, reference
        if reference.endswith(".css"):  # only inline images, no imports from elsewhere
            assert "@import" not in asset.text
            assert set(re.findall(r"url\(\s*[\"']?(\w+):", asset.text)) <= {"data"}
    return parser.found
