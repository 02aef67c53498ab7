"""Fixtures for talking to the running services as a user would."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

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


@pytest.fixture
def anonymous(auth_url: str, email_url: str) -> Iterator[dict[str, httpx.Client]]:
    with (
        httpx.Client(base_url=auth_url, timeout=10) as auth,
        httpx.Client(base_url=email_url, timeout=10) as mail,
    ):
        yield {"auth": auth, "mail": mail}


@pytest.fixture
def register(auth_url: str, email_url: str) -> Iterator[Callable[..., Account]]:
    clients: list[httpx.Client] = []

    def make(
        email: str | None = None, name: str = "Test User", password: str = PASSWORD
    ) -> Account:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.test"
        response = httpx.post(
            f"{auth_url}/api/auth/register",
            json={"email": email, "password": password, "name": name},
            timeout=10,
        )
        assert response.status_code == 201, response.text
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
