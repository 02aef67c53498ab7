"""Fixtures for talking to the running services as a user would."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Database, Service, start_service
from tests.mailbox import LATEST_ACCOUNT_MAIL, SENDER, link_token

PASSWORD = "a perfectly fine passphrase"


@dataclass
class Account:
    """A registered user with clients for both services, authorised with the user's token."""

    email: str
    password: str
    session: dict[str, Any]
    auth: httpx.Client
    mail: httpx.Client
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.session["user"]["id"])

    @property
    def access_token(self) -> str:
        return str(self.session["access_token"])

    @property
    def refresh_token(self) -> str:
        return str(self.session["refresh_token"])

    def send(self, **body: Any) -> httpx.Response:
        body.setdefault("to", ["someone@example.test"])
        body.setdefault("subject", "Hello")
        body.setdefault("text", "Hello there")
        return self.mail.post("/api/emails/send", json=body)


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The error object of a response, after checking its status and the one error shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert error["code"] and error["message"]
    return error


def fields_of(response: httpx.Response, status: int = 422) -> list[str]:
    return [field["field"] for field in error_of(response, status)["fields"]]


@contextmanager
def own_auth_service(
    service_env: dict[str, str], work_dir: Path, name: str, **settings: str
) -> Iterator[Service]:
    """An auth-service of a test module's own, on the suite's database, with `settings` in place
    of the suite's (its log in a folder of the module's `name`)."""
    logs = work_dir / name
    logs.mkdir(exist_ok=True)
    service = start_service("auth", {**service_env, **settings}, logs)
    try:
        yield service
    finally:
        service.process.terminate()
        service.process.wait(10)


@pytest.fixture
def anonymous(auth_url: str, email_url: str) -> Iterator[dict[str, httpx.Client]]:
    with (
        httpx.Client(base_url=auth_url, timeout=10) as auth,
        httpx.Client(base_url=email_url, timeout=10) as mail,
    ):
        yield {"auth": auth, "mail": mail}


def account_mail(database: Database, address: str) -> str:
    """The text of the latest email ECCS queued about an account for `address`: what its owner
    would find in their inbox (these tests run no delivery worker)."""
    rows = database.query(LATEST_ACCOUNT_MAIL, SENDER, address)
    assert rows, f"no account email for {address}"
    return str(rows[0]["text_body"])


def verify_address(auth_url: str, database: Database, address: str) -> None:
    """Follow the verification link emailed to `address`, as its owner would."""
    token = link_token(account_mail(database, address), "/verify-email")
    response = httpx.post(f"{auth_url}/api/auth/verify-email", json={"token": token}, timeout=10)
    assert response.status_code == 200, response.text


@pytest.fixture
def mailbox(database: Database) -> Database:
    """Where the services put the emails they send about accounts (a module with services of its
    own overrides it)."""
    return database


@pytest.fixture
def register(auth_url: str, email_url: str, mailbox: Database) -> Iterator[Callable[..., Account]]:
    """Sign up as a person would: register, follow the emailed link (unless `verified` is
    False), sign in."""
    clients: list[httpx.Client] = []

    def make(
        email: str | None = None,
        name: str = "Test User",
        password: str = PASSWORD,
        *,
        verified: bool = True,
    ) -> Account:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.test"
        response = httpx.post(
            f"{auth_url}/api/auth/register",
            json={"email": email, "password": password, "name": name},
            timeout=10,
        )
        assert response.status_code == 202, response.text
        if verified:
            verify_address(auth_url, mailbox, email)
        response = httpx.post(
            f"{auth_url}/api/auth/login", json={"email": email, "password": password}, timeout=10
        )
        assert response.status_code == 200, response.text
        session = response.json()
        headers = {"Authorization": f"Bearer {session['access_token']}"}
        auth = httpx.Client(base_url=auth_url, headers=headers, timeout=10)
        mail = httpx.Client(base_url=email_url, headers=headers, timeout=10)
        clients.extend([auth, mail])
        return Account(email, password, session, auth, mail)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def alice(register: Callable[..., Account]) -> Account:
    return register(name="Alice")


@pytest.fixture
def bob(register: Callable[..., Account]) -> Account:
    return register(name="Bob")


@pytest.fixture
def admin(register: Callable[..., Account], database: Database, auth_url: str) -> Account:
    """An account with the admin role, given in the database and signed in again for a token
    that carries it."""
    account = register(name="Operator")
    database.query("UPDATE users SET role = 'admin' WHERE id = $1", uuid.UUID(account.id))
    response = httpx.post(
        f"{auth_url}/api/auth/login",
        json={"email": account.email, "password": account.password},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    account.session = response.json()
    for client in (account.auth, account.mail):
        client.headers["Authorization"] = f"Bearer {account.access_token}"
    return account


# What the delivery worker leaves behind for a recipient: (status, SMTP code, SMTP reply).
REFUSED = ("refused", 550, "5.1.1 No such user here")
ABANDONED = ("abandoned", 451, "4.3.0 Try again later")


def mark_failed(
    database: Database,
    email_id: str,
    reason: str = "refused",
    *,
    attempts: int = 1,
    failed_at: datetime | None = None,
    detail: str = "No recipient accepted the email.",
    answers: dict[str, tuple[str, int | None, str | None]] | None = None,
) -> None:
    """Put an email in the state the delivery worker leaves one it gave up on: `failed` with a
    reason, its delivery request published, and every recipient with its last answer (refused
    for reason `refused`, abandoned otherwise, unless `answers` says otherwise by address)."""
    key = uuid.UUID(email_id)
    # The request first: marked published, the relay leaves it alone, or (publishing it now)
    # holds it until it has, and its `queued` lands before the state set here.
    database.query("UPDATE outbox SET published_at = now() WHERE email_id = $1", key)
    database.query(
        "UPDATE emails SET status = 'failed', attempts = $2, failure_reason = $3,"
        " failed_at = $4, last_error = $5, updated_at = $4 WHERE id = $1",
        key,
        attempts,
        reason,
        failed_at or datetime.now(UTC),
        detail,
    )
    default = REFUSED if reason == "refused" else ABANDONED
    for (address,) in database.query(
        "SELECT address FROM email_recipients WHERE email_id = $1", key
    ):
        status, code, reply = (answers or {}).get(address, default)
        database.query(
            "UPDATE email_recipients SET status = $3, smtp_code = $4, smtp_reply = $5,"
            " attempts = $6, updated_at = now() WHERE email_id = $1 AND address = $2",
            key,
            address,
            status,
            code,
            reply,
            attempts,
        )


def delivery_requests(database: Database, email_id: str, reason: str) -> list[dict[str, Any]]:
    """The delivery requests written to the outbox for an email for one reason, oldest first,
    whether or not the relay has published them yet."""
    found = database.query(
        "SELECT payload, headers, available_at, published_at FROM outbox"
        " WHERE email_id = $1 AND payload->>'reason' = $2 ORDER BY id",
        uuid.UUID(email_id),
        reason,
    )
    return [
        {**dict(row), "payload": json.loads(row["payload"]), "headers": json.loads(row["headers"])}
        for row in found
    ]
