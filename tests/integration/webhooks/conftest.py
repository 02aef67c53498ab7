"""What the webhook tests share: email-service as a process told about the test DNS server
and the receivers' network, the notification worker (with its dispatcher) started as a test
needs it, an SMTP server whose answers each test scripts, real HTTP receivers that check every
signature, and a sender's account.

Receivers listen on this machine's own (non-loopback) address, which the services are told to
allow (WEBHOOK_ALLOWED_NETWORKS, as for an on-premise receiver); names are resolved through the
test DNS server (WEBHOOK_DNS_SERVERS). Everything else, loopback included, is refused as it is
in production. Each module gets services of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Service, start_service, unavailable
from tests.integration.conftest import Account
from tests.servers.dns import DnsServer
from tests.servers.kafka import KafkaServer
from tests.servers.postgres import free_port
from tests.servers.receivers import Received, Receiver, machine_address
from tests.servers.smtp import SmtpServer
from tests.waiting import wait_for

HOOK_TIMEOUT = 1.0
PER_ENDPOINT = 2
DISABLE_AFTER = 4.0
PRIVATE = "10.20.30.40"


@pytest.fixture(scope="module")
def host() -> str:
    address = machine_address()
    if address is None:
        unavailable("this machine has no address but loopback for the test receivers")
    assert address is not None
    return address


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def hook_env(
    host: str, dns: DnsServer, kafka: KafkaServer, service_env: dict[str, str]
) -> dict[str, str]:
    return {
        **service_env,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "WEBHOOK_ALLOWED_NETWORKS": f"{host}/32",
        "WEBHOOK_DNS_SERVERS": f"127.0.0.1:{dns.port}",
        "WEBHOOK_TIMEOUT_SECONDS": str(HOOK_TIMEOUT),
        "WEBHOOK_ENDPOINT_CONCURRENCY": str(PER_ENDPOINT),
        "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
        "WEBHOOK_RETRY_MAX_SECONDS": "1",
        "WEBHOOK_RETRY_WINDOW_SECONDS": "120",
        "WEBHOOK_DISABLE_AFTER_SECONDS": str(DISABLE_AFTER),
        "WEBHOOK_POLL_SECONDS": "0.2",
    }


@pytest.fixture(scope="module")
def mail_service(hook_env: dict[str, str], auth_url: str, work_dir: Path) -> Iterator[Service]:
    """email-service told about the test DNS server and the receivers' network; its unsubscribe
    links point at itself."""
    port = free_port()
    env = {**hook_env, "AUTH_SERVICE_URL": auth_url, "ECCS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    service = start_service("email", env, work_dir, port=port)
    yield service
    service.process.terminate()
    service.process.wait(10)


def start_worker(env: dict[str, str], smtp: SmtpServer, work_dir: Path) -> Service:
    return start_service(
        "notification",
        {
            **env,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "false",
            "SMTP_FROM": "postmaster@eccs.test",
            "SMTP_TIMEOUT_SECONDS": "3",
            "EMAIL_RETRY_BASE_SECONDS": "0.4",
            "LOG_LEVEL": "info",
        },
        work_dir,
    )


@pytest.fixture(scope="module")
def worker(hook_env: dict[str, str], smtp: SmtpServer, work_dir: Path) -> Iterator[Service]:
    service = start_worker(hook_env, smtp, work_dir)
    yield service
    service.process.terminate()
    service.process.wait(30)


@pytest.fixture
def receiver(host: str) -> Iterator[Receiver]:
    with Receiver(host) as server:
        yield server


@pytest.fixture
def another_receiver(host: str) -> Iterator[Receiver]:
    with Receiver(host) as server:
        yield server


class Sender:
    """An account signed up as a person would (conftest's `register`), talking to the module's
    email-service."""

    def __init__(self, account: Account, mail_url: str) -> None:
        self.email = account.email
        self.id = account.id
        headers = {"Authorization": f"Bearer {account.access_token}"}
        self.api = httpx.Client(base_url=mail_url, headers=headers, timeout=10)

    def endpoint(self, url: str, *events: str) -> dict[str, Any]:
        wanted = list(events) or ["email.sent", "email.failed", "email.suppressed"]
        response = self.api.post("/api/webhooks", json={"url": url, "events": wanted})
        assert response.status_code == 201, response.text
        endpoint: dict[str, Any] = response.json()
        return endpoint

    def send(self, *to: str, **body: Any) -> str:
        body = {"to": list(to), "subject": "Hello", "text": "Hi", **body}
        response = self.api.post("/api/emails/send", json=body)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def read(self, email_id: str) -> dict[str, Any]:
        email: dict[str, Any] = self.api.get(f"/api/emails/{email_id}").json()
        return email

    def finished(self, email_id: str, *statuses: str, timeout: float = 20) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            email = self.read(email_id)
            return email if email["status"] in statuses else None

        return wait_for(done, f"email {email_id} {' or '.join(statuses)}", timeout)

    def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.api.get(
            f"/api/webhooks/{endpoint_id}/deliveries", params={"page_size": 100}
        ).json()["items"]
        return items

    def first_attempt(self, endpoint_id: str) -> dict[str, Any]:
        """Once there is one, the first attempt recorded for an endpoint."""
        return wait_for(
            lambda: next((a for d in self.deliveries(endpoint_id) for a in d["attempts"]), None),
            "an attempt recorded",
        )

    def delivered(self, endpoint_id: str) -> dict[str, Any]:
        """Once there is one, a delivery to the endpoint recorded as delivered."""
        return wait_for(
            lambda: next(
                (d for d in self.deliveries(endpoint_id) if d["status"] == "delivered"), None
            ),
            "a delivery recorded as delivered",
        )


@pytest.fixture
def signed_up(
    register: Callable[..., Account], mail_service: Service
) -> Iterator[Callable[[str], Sender]]:
    """Senders with the given names, each with an account of their own."""
    made: list[Sender] = []

    def make(name: str) -> Sender:
        made.append(Sender(register(name=name), mail_service.url))
        return made[-1]

    yield make
    for sender in made:
        sender.api.close()


@pytest.fixture
def sender(signed_up: Callable[[str], Sender]) -> Sender:
    return signed_up("Alice")


@pytest.fixture
def address() -> Callable[[str], str]:
    tag = uuid.uuid4().hex[:8]
    return lambda name, domain="example.test": f"{name}-{tag}@{domain}"


def of_type(kind: str) -> Callable[[Received], bool]:
    return lambda request: request.event["type"] == kind
