"""A forgotten password reset through an emailed link, a password and a name changed while
signed in, and what each does to the account's other sign-ins."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import jwt
import pytest

from tests.conftest import PROXY_ADDRESS, Database, Service
from tests.integration.conftest import (
    PASSWORD,
    Account,
    account_mail,
    error_of,
    fields_of,
    own_auth_service,
)
from tests.mailbox import link_token
from tests.waiting import stays, wait_until

Register = Callable[..., Account]
NEW_PASSWORD = "a brand new passphrase"
RESET_SUBJECT = "Reset your ECCS password"
RESETS = "SELECT count(*) FROM emails WHERE $1 = ANY(to_addresses) AND subject = $2"


@pytest.fixture
def client(anonymous: dict[str, httpx.Client]) -> httpx.Client:
    return anonymous["auth"]


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def forgot(
    client: httpx.Client, email: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.post("/api/auth/password/forgot", json={"email": email}, headers=headers)


def resets(database: Database, email: str) -> int:
    """How many reset links have been written for `email`."""
    return int(database.query(RESETS, email, RESET_SUBJECT)[0]["count"])


def ask_reset(client: httpx.Client, database: Database, email: str) -> str:
    """Ask for a reset link for an account's address, as its owner would, and return the
    token of the link once it is in the account's mail (it is written after the answer)."""
    before = resets(database, email)
    assert forgot(client, email).status_code == 202
    wait_until(lambda: resets(database, email) > before, f"a new reset link for {email}", 10)
    return link_token(account_mail(database, email), "/reset-password")


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/api/auth/refresh", json={"refresh_token": token})


# --- a forgotten password ------------------------------------------------------------------------


def test_asking_for_a_reset_answers_the_same_for_any_address(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    known = forgot(client, alice.email)
    unknown_address = f"nobody-{uuid.uuid4().hex[:8]}@example.test"
    unknown = forgot(client, unknown_address)

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    wait_until(lambda: resets(database, alice.email) == 1, "the reset link to alice", 10)
    assert (
        database.query("SELECT 1 FROM emails WHERE $1 = ANY(to_addresses)", unknown_address) == []
    )


def test_the_answer_does_not_wait_for_the_accounts_part(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    """How long the answer takes must not tell whether the address has an account, so the
    link is written after it. Here another transaction holds the account's row, which blocks
    writing a link until it lets go: the answer comes all the same, and the link after."""

    async def ask_while_holding() -> tuple[httpx.Response, int]:
        connection = await asyncpg.connect(database.url)
        try:
            async with connection.transaction():
                await connection.execute(
                    "SELECT 1 FROM users WHERE email = $1 FOR UPDATE", alice.email
                )
                async with httpx.AsyncClient(base_url=str(client.base_url), timeout=5) as held:
                    body = {"email": alice.email}
                    answer = await held.post("/api/auth/password/forgot", json=body)
                written = await connection.fetchval(RESETS, alice.email, RESET_SUBJECT)
                return answer, written
        finally:
            await connection.close()

    answer, written_meanwhile = asyncio.run(ask_while_holding())

    assert answer.status_code == 202
    assert written_meanwhile == 0
    wait_until(lambda: resets(database, alice.email) == 1, "the link once the row was let go", 10)


def test_a_reset_sets_the_password_and_ends_every_sign_in(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    other_device = login(client, alice.email, PASSWORD).json()
    token = ask_reset(client, database, alice.email)
    assert "60 minutes" in account_mail(database, alice.email)

    done = client.post("/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})

    assert done.status_code == 204, done.text
    assert login(client, alice.email, PASSWORD).status_code == 401
    assert login(client, alice.email, NEW_PASSWORD).status_code == 200
    for old_token in (alice.refresh_token, other_device["refresh_token"]):
        assert refresh(client, old_token).status_code == 401


def test_a_reset_link_works_once_and_for_an_hour(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    token = ask_reset(client, database, alice.email)
    body = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/api/auth/password/reset", json=body).status_code == 204
    again = client.post("/api/auth/password/reset", json={**body, "password": "yet another one!"})
    assert error_of(again, 422)["code"] == "invalid_link"

    later = ask_reset(client, database, alice.email)
    later_id = uuid.UUID(later.partition(".")[0])
    [lifetime] = database.query(
        "SELECT expires_at - created_at AS span FROM account_tokens WHERE id = $1", later_id
    )
    assert lifetime["span"].total_seconds() == 3600
    database.query("UPDATE account_tokens SET expires_at = now() WHERE id = $1", later_id)
    expired = client.post(
        "/api/auth/password/reset", json={"token": later, "password": "yet another one!"}
    )
    assert error_of(expired, 422)["code"] == "invalid_link"


def test_a_weak_new_password_is_refused_and_the_link_still_works(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    token = ask_reset(client, database, alice.email)
    weak = client.post("/api/auth/password/reset", json={"token": token, "password": "password123"})
    assert fields_of(weak) == ["password"]
    good = client.post("/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert good.status_code == 204


def test_a_verification_link_cannot_reset_a_password(
    client: httpx.Client, register: Register, database: Database
) -> None:
    account = register(verified=False)
    token = link_token(account_mail(database, account.email), "/verify-email")
    refused = client.post(
        "/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert error_of(refused, 422)["code"] == "invalid_link"


def test_a_reset_verifies_the_address_it_was_sent_to(
    client: httpx.Client, register: Register, database: Database
) -> None:
    account = register(verified=False)
    token = ask_reset(client, database, account.email)
    client.post("/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    session = login(client, account.email, NEW_PASSWORD).json()
    assert session["user"]["email_verified"] is True


@pytest.fixture(scope="module")
def strict_auth(service_env: dict[str, str], work_dir: Path) -> Iterator[Service]:
    """An auth-service with a small reset-request allowance (the suite's own allows far more)."""
    with own_auth_service(
        service_env, work_dir, "strict-auth", PASSWORD_RESETS_PER_ADDRESS="3"
    ) as service:
        yield service


def test_reset_requests_are_throttled_per_client_address(strict_auth: Service) -> None:
    transport = httpx.HTTPTransport(local_address=PROXY_ADDRESS)
    with httpx.Client(base_url=strict_auth.url, transport=transport, timeout=10) as gateway:

        def ask(address: str) -> httpx.Response:
            email = f"anyone-{uuid.uuid4().hex[:6]}@example.test"
            return forgot(gateway, email, headers={"X-Forwarded-For": address})

        assert [ask("203.0.113.70").status_code for _ in range(3)] == [202] * 3
        throttled = ask("203.0.113.70")
        assert error_of(throttled, 429)["code"] == "password_reset_throttled"
        assert int(throttled.headers["retry-after"]) >= 1
        assert ask("203.0.113.71").status_code == 202


def test_resets_of_one_account_stop_reaching_its_inbox_after_a_few(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    answers = {forgot(client, alice.email).status_code for _ in range(6)}
    assert answers == {202}
    # Five emails an hour, the verification link among them: four resets, never a fifth.
    wait_until(lambda: resets(database, alice.email) == 4, "four reset links", 10)
    stays(lambda: resets(database, alice.email) == 4, "no more than four reset links", 1)


def test_resets_asked_for_at_once_stop_at_the_same_count(
    auth_url: str, alice: Account, database: Database
) -> None:
    def ask(_: int) -> int:
        body = {"email": alice.email}
        return httpx.post(f"{auth_url}/api/auth/password/forgot", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(ask, range(10))) == {202}
    wait_until(lambda: resets(database, alice.email) == 4, "four reset links", 10)
    stays(lambda: resets(database, alice.email) == 4, "no more than four reset links", 1)


# --- changes while signed in ---------------------------------------------------------------------


def test_a_password_change_needs_the_current_one(alice: Account, client: httpx.Client) -> None:
    wrong = alice.auth.post(
        "/api/auth/password",
        json={"current_password": "not my password at all", "new_password": NEW_PASSWORD},
    )
    assert error_of(wrong, 422)["code"] == "wrong_password"
    assert fields_of(wrong) == ["current_password"]
    weak = alice.auth.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": alice.email}
    )
    assert fields_of(weak) == ["new_password"]
    assert login(client, alice.email, PASSWORD).status_code == 200


def test_a_changed_password_ends_the_other_sign_ins(alice: Account, client: httpx.Client) -> None:
    other_device = login(client, alice.email, PASSWORD).json()
    changed = alice.auth.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()

    assert refresh(client, other_device["refresh_token"]).status_code == 401
    assert refresh(client, alice.refresh_token).status_code == 401
    assert refresh(client, fresh["refresh_token"]).status_code == 200
    assert login(client, alice.email, NEW_PASSWORD).status_code == 200


def test_guessing_the_current_password_is_throttled_like_signing_in(alice: Account) -> None:
    statuses = [
        alice.auth.post(
            "/api/auth/password",
            json={"current_password": f"guess number {n}", "new_password": NEW_PASSWORD},
        ).status_code
        for n in range(6)
    ]
    assert statuses == [422] * 5 + [429]


def test_a_new_name_is_in_a_fresh_sign_in_and_the_others_end(
    alice: Account, client: httpx.Client
) -> None:
    other_device = login(client, alice.email, PASSWORD).json()
    renamed = alice.auth.patch("/api/auth/me", json={"name": "Alice Liddell"})

    assert renamed.status_code == 200, renamed.text
    session = renamed.json()
    assert session["user"]["name"] == "Alice Liddell"
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    assert claims["name"] == "Alice Liddell"
    assert refresh(client, other_device["refresh_token"]).status_code == 401
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.json()["name"] == "Alice Liddell"


@pytest.mark.parametrize("name", ["", "  ", "Alice\nBcc: x@example.test"])
def test_a_blank_or_multiline_name_is_422(alice: Account, name: str) -> None:
    assert fields_of(alice.auth.patch("/api/auth/me", json={"name": name})) == ["name"]
