"""Accounts for real use, end to end in embedded mode: the emails ECCS sends about accounts go
through the whole pipeline (outbox, broker, worker, SMTP) into the mail catcher, their links work
once, operators see their timelines; a program's key sends; a deleted account's data goes."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_front import start_up, stop
from tests.e2e.test_up import (
    PASSWORD,
    Up,
    caught_message,
    clean_environment,
    eventually,
    register,
)
from tests.mailbox import link_token

pytestmark = pytest.mark.slow

ADMIN = "operator@example.test"


@pytest.fixture(scope="module")
def up(work_dir: Path) -> Iterator[Up]:
    data_dir = Path(tempfile.mkdtemp(prefix="eccs-accounts-", dir=work_dir)) / "data"
    running = start_up(data_dir)
    made = subprocess.run(
        [str(Path(sys.executable).parent / "eccs"), "user", "create", "--email", ADMIN,
         "--name", "Operator", "--password", PASSWORD, "--admin"],
        env=clean_environment(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    yield running
    stop(running)


@pytest.fixture
def client(up: Up) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=up.url, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(client: httpx.Client, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def header(message: dict[str, Any], name: str) -> str | None:
    values = [h["value"] for h in message["headers"] if h["name"].lower() == name.lower()]
    return values[0] if values else None


def test_a_sign_up_link_arrives_through_the_pipeline_and_works_once(
    client: httpx.Client, up: Up
) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.test"
    answer = client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Newcomer"}
    )
    assert answer.status_code == 202, answer.text
    unverified = signed_in(client, email)
    refused = client.post(
        "/api/emails/send",
        json={"to": ["x@example.test"], "subject": "Too soon", "text": "."},
        headers=bearer(unverified),
    )
    assert refused.json()["error"]["code"] == "address_unverified"

    message = caught_message(client, email, "Confirm your email address for ECCS")
    assert header(message, "Reply-To") is None
    assert "ECCS" in (header(message, "From") or "")
    assert f"{up.url}/verify-email?token=" in message["text"]
    token = link_token(message["text"], "/verify-email")
    assert client.post("/api/auth/verify-email", json={"token": token}).status_code == 200
    again = client.post("/api/auth/verify-email", json={"token": token})
    assert again.json()["error"]["code"] == "invalid_link"

    sent = client.post(
        "/api/emails/send",
        json={"to": ["x@example.test"], "subject": "Now it works", "text": "."},
        headers=bearer(unverified),
    )
    assert sent.status_code == 202, sent.text


def test_a_taken_address_hears_of_the_attempt_and_operators_see_the_timeline(
    client: httpx.Client,
) -> None:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    register(client, email, name="Owner")
    again = client.post(
        "/api/auth/register", json={"email": email, "password": "another passphrase!", "name": "X"}
    )
    assert again.status_code == 202
    notice = caught_message(client, email, "Someone tried to sign up with your address")
    assert "/forgot-password" in notice["text"]

    operator = bearer(signed_in(client, ADMIN))
    listed = client.get("/api/admin/account-emails", params={"q": email}, headers=operator)
    assert {item["subject"] for item in listed.json()["items"]} == {
        "Confirm your email address for ECCS",
        "Someone tried to sign up with your address",
    }

    def delivered() -> dict[str, Any] | None:
        newest = listed.json()["items"][0]["id"]
        email_ = client.get(f"/api/admin/emails/{newest}", headers=operator).json()
        return email_ if email_["status"] == "sent" else None

    timeline = eventually(delivered, "the notice delivered")["timeline"]
    outcomes = [entry["outcome"] for entry in timeline]
    assert outcomes[:2] == ["submitted", "started"] and "accepted" in outcomes


def test_a_forgotten_password_is_reset_through_the_emailed_link(client: httpx.Client) -> None:
    email = f"forgetful-{uuid.uuid4().hex[:8]}@example.test"
    register(client, email)
    asked = client.post("/api/auth/password/forgot", json={"email": email})
    assert asked.status_code == 202

    reset = caught_message(client, email, "Reset your ECCS password")
    token = link_token(reset["text"], "/reset-password")
    new_password = "remembered at last, truly"
    done = client.post("/api/auth/password/reset", json={"token": token, "password": new_password})
    assert done.status_code == 204, done.text
    assert signed_in(client, email, new_password)
    old = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401


def test_a_programs_key_sends_and_the_email_names_it(client: httpx.Client) -> None:
    email = f"developer-{uuid.uuid4().hex[:8]}@example.test"
    person = bearer(register(client, email)["access_token"])
    made = client.post(
        "/api/auth/keys", json={"name": "nightly job", "scopes": ["emails:send"]}, headers=person
    )
    assert made.status_code == 201, made.text
    program = bearer(made.json()["key"])
    subject = f"from a program {uuid.uuid4().hex[:6]}"
    sent = client.post(
        "/api/emails/send",
        json={"to": ["reader@example.test"], "subject": subject, "text": "."},
        headers=program,
    )
    assert sent.status_code == 202, sent.text
    caught_message(client, "reader@example.test", subject)

    detail = client.get(f"/api/emails/{sent.json()['id']}", headers=person).json()
    assert detail["api_key"]["name"] == "nightly job"
    assert detail["timeline"][0]["detail"] == 'with the API key "nightly job"'
    assert client.get("/api/emails", headers=program).json()["error"]["code"] == "missing_scope"


def test_a_deleted_account_takes_its_emails_with_it(client: httpx.Client) -> None:
    email = f"leaving-{uuid.uuid4().hex[:8]}@example.test"
    person = bearer(register(client, email)["access_token"])
    sent = client.post(
        "/api/emails/send",
        json={"to": ["reader@example.test"], "subject": "Before I go", "text": "."},
        headers=person,
    ).json()["id"]
    exported = client.get("/api/account/export", headers=person).json()
    assert [item["id"] for item in exported["emails"]] == [sent]

    gone = client.request("DELETE", "/api/auth/me", json={"password": PASSWORD}, headers=person)
    assert gone.status_code == 204, gone.text
    eventually(  # as the deletion's announcement reaches email-service: milliseconds
        lambda: client.get("/api/emails", headers=person).status_code == 401,
        "email-service hearing of the deletion",
        seconds=2,
    )
    operator = bearer(signed_in(client, ADMIN))
    eventually(
        lambda: client.get(f"/api/admin/emails/{sent}", headers=operator).status_code == 404,
        "the email erased",
    )
