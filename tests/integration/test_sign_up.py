"""Signing up with a verified address: the same answer (and time) for new and taken addresses,
the emailed link that works once, what an unverified account may do, asking for a new link.

The emails are read where the services put them (these tests run no delivery worker); the end to
end trip through the worker and the mail catcher is in tests/e2e/test_accounts.py.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database, Service
from tests.integration.conftest import (
    PASSWORD,
    Account,
    account_mail,
    error_of,
    own_auth_service,
    verify_address,
)
from tests.mailbox import link_token

Register = Callable[..., Account]


def fresh_email() -> str:
    return f"new-{uuid.uuid4().hex[:10]}@example.test"


def sign_up(client: httpx.Client, email: str, **body: str) -> httpx.Response:
    return client.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Newcomer", **body},
    )


def account_mails(database: Database, address: str) -> list[str]:
    rows = database.query(
        "SELECT subject FROM emails WHERE $1 = ANY(to_addresses) ORDER BY created_at", address
    )
    return [row["subject"] for row in rows]


@pytest.fixture
def client(anonymous: dict[str, httpx.Client]) -> httpx.Client:
    return anonymous["auth"]


def test_a_new_and_a_taken_address_get_the_same_answer(client: httpx.Client) -> None:
    email = fresh_email()
    new = sign_up(client, email)
    taken = sign_up(client, email, name="Someone Else")

    assert new.status_code == taken.status_code == 202, (new.text, taken.text)
    assert new.json() == taken.json()
    assert new.json()["email"] == email and "link" in new.json()["message"]
    assert new.headers["content-length"] == taken.headers["content-length"]


def test_a_new_address_gets_a_link_and_a_taken_one_a_notice(
    client: httpx.Client, database: Database
) -> None:
    email = fresh_email()
    sign_up(client, email)
    sign_up(client, email.upper(), password="another perfectly fine one")

    assert account_mails(database, email) == [
        "Confirm your email address for ECCS",
        "Someone tried to sign up with your address",
    ]
    notice = account_mail(database, email)
    assert "tried to create an ECCS account" in notice and "/forgot-password" in notice
    assert "?token=" not in notice  # the notice opens nothing by itself


def test_a_sign_up_with_a_taken_address_changes_nothing(
    client: httpx.Client, register: Register
) -> None:
    owner = register(name="Owner")
    sign_up(client, owner.email, password="the impostor's own passphrase", name="Impostor")

    assert (
        client.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD}).json()[
            "user"
        ]["name"]
        == "Owner"
    )
    impostor = client.post(
        "/api/auth/login",
        json={"email": owner.email, "password": "the impostor's own passphrase"},
    )
    assert impostor.status_code == 401


def test_until_verified_an_account_signs_in_but_cannot_send(
    register: Register, auth_url: str, database: Database
) -> None:
    account = register(verified=False)
    assert account.session["user"]["email_verified"] is False

    refused = account.send()
    assert error_of(refused, 403)["code"] == "address_unverified"
    assert "verify" in refused.json()["error"]["message"].lower()
    assert account.mail.get("/api/emails").status_code == 200  # the app can still be seen

    verify_address(auth_url, database, account.email)
    # The same access token sends now: the send checks the address as it is now.
    assert account.send().status_code == 202
    assert account.auth.get("/api/auth/me").json()["email_verified"] is True


def test_a_verification_link_works_once(
    client: httpx.Client, register: Register, database: Database
) -> None:
    account = register(verified=False)
    token = link_token(account_mail(database, account.email), "/verify-email")

    first = client.post("/api/auth/verify-email", json={"token": token})
    assert first.status_code == 200, first.text
    assert first.json()["email"] == account.email and first.json()["email_verified"] is True
    again = client.post("/api/auth/verify-email", json={"token": token})
    assert error_of(again, 422)["code"] == "invalid_link"
    assert [field["field"] for field in again.json()["error"]["fields"]] == ["token"]


def test_an_expired_tampered_or_foreign_link_is_refused(
    client: httpx.Client, register: Register, database: Database
) -> None:
    account = register(verified=False)
    token = link_token(account_mail(database, account.email), "/verify-email")
    row_id, _, secret = token.partition(".")
    tampered = f"{row_id}.{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"
    for presented in (tampered, f"{uuid.uuid4()}.{secret}", "not-a-token", token + "x"):
        refused = client.post("/api/auth/verify-email", json={"token": presented})
        assert error_of(refused, 422)["code"] == "invalid_link", presented

    database.query(
        "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(row_id),
    )
    expired = client.post("/api/auth/verify-email", json={"token": token})
    assert error_of(expired, 422)["code"] == "invalid_link"
    assert (
        client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD}).json()[
            "user"
        ]["email_verified"]
        is False
    )


def test_links_are_stored_only_as_hashes(register: Register, database: Database) -> None:
    account = register(verified=False)
    token = link_token(account_mail(database, account.email), "/verify-email")
    row_id, _, secret = token.partition(".")
    [stored] = database.query(
        "SELECT secret_hash, expires_at - created_at AS lifetime FROM account_tokens WHERE id = $1",
        uuid.UUID(row_id),
    )
    assert secret.encode() not in bytes(stored["secret_hash"])
    assert len(bytes(stored["secret_hash"])) == 32
    assert stored["lifetime"].total_seconds() == 24 * 3600


def test_a_new_link_can_be_asked_for_and_the_old_one_still_works_once(
    register: Register, database: Database, client: httpx.Client
) -> None:
    account = register(verified=False)
    first = link_token(account_mail(database, account.email), "/verify-email")

    resent = account.auth.post("/api/auth/verify-email/resend")
    assert resent.status_code == 202, resent.text
    assert account.email in resent.json()["message"]
    second = link_token(account_mail(database, account.email), "/verify-email")
    assert second != first

    assert client.post("/api/auth/verify-email", json={"token": second}).status_code == 200
    # Verified: the other link has nothing left to do.
    stale = client.post("/api/auth/verify-email", json={"token": first})
    assert error_of(stale, 422)["code"] == "invalid_link"
    again = account.auth.post("/api/auth/verify-email/resend")
    assert error_of(again, 409)["code"] == "already_verified"


def test_asking_for_links_again_and_again_is_throttled(register: Register) -> None:
    account = register(verified=False)  # its sign-up email counts: 4 more fit in the hour
    statuses = [account.auth.post("/api/auth/verify-email/resend").status_code for _ in range(4)]
    assert statuses == [202] * 4

    throttled = account.auth.post("/api/auth/verify-email/resend")
    assert error_of(throttled, 429)["code"] == "account_email_throttled"
    assert 1 <= int(throttled.headers["retry-after"]) <= 3600


def test_a_taken_address_is_told_a_few_times_and_then_left_in_peace(
    client: httpx.Client, register: Register, database: Database
) -> None:
    owner = register()
    answers = {sign_up(client, owner.email).status_code for _ in range(7)}
    assert answers == {202}
    notices = account_mails(database, owner.email).count(
        "Someone tried to sign up with your address"
    )
    assert notices == 4  # five emails an hour, the verification link among them


# --- the time it takes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def costly_auth(service_env: dict[str, str], work_dir: Path) -> Iterator[Service]:
    """An auth-service hashing passwords at a real cost (about 50 ms each here): a sign-up that
    skipped the hash for a taken address would answer that much faster."""
    with own_auth_service(service_env, work_dir, "costly-auth", BCRYPT_ROUNDS="10") as service:
        yield service


def test_a_taken_address_takes_as_long_as_a_new_one(costly_auth: Service) -> None:
    """Timed many times, interleaved, compared by median: one slow answer on a busy machine
    cannot decide it, and a missing password hash (tens of milliseconds) could not hide."""
    with httpx.Client(base_url=costly_auth.url, timeout=30) as client:
        taken = fresh_email()
        assert sign_up(client, taken).status_code == 202

        def timed(email: str) -> float:
            started = time.perf_counter()
            assert sign_up(client, email).status_code == 202
            return time.perf_counter() - started

        timed(fresh_email())  # the first answers warm up the connection and the code
        new, existing = [], []
        for _ in range(15):
            new.append(timed(fresh_email()))
            existing.append(timed(taken))

    hash_cost = statistics.median(new) / 2  # well under the hash's share of an answer
    difference = abs(statistics.median(new) - statistics.median(existing))
    assert difference < hash_cost, (sorted(new), sorted(existing))
    assert min(existing) > hash_cost, "a taken address was answered without hashing"
