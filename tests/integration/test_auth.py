"""auth-service as a client sees it: every endpoint's success and failure paths, token attacks,
refresh rotation, login throttling behind (and not behind) the gateway, the admin CLI, and the
operational endpoints every service shares."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from prometheus_client.parser import text_string_to_metric_families

from eccs.identity.tokens import SigningKey, access_claims
from tests.conftest import PROXY_ADDRESS, Database, Service
from tests.integration.conftest import PASSWORD, Account, own_auth_service

Register = Callable[..., Account]


# --- helpers ------------------------------------------------------------------------------------


def fresh_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error object of a response, after checking it has the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], list)
    return error


def fields_of(response: httpx.Response) -> list[str]:
    return [field["field"] for field in error_of(response)["fields"]]


def assert_session(body: dict[str, Any], email: str, name: str, role: str = "user") -> None:
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["access_token"] and body["refresh_token"]
    user = body["user"]
    assert set(user) == {"id", "email", "name", "role", "email_verified"}
    assert uuid.UUID(user["id"])
    assert (user["email"], user["name"], user["role"]) == (email, name, role)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def login(client: httpx.Client, email: str, password: str, **kwargs: Any) -> httpx.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password}, **kwargs)


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def token_row_id(refresh_token: str) -> uuid.UUID:
    return uuid.UUID(refresh_token.partition(".")[0])


@pytest.fixture
def client(anonymous: dict[str, httpx.Client]) -> httpx.Client:
    """A client without a token, connecting from 127.0.0.1 (not a trusted proxy)."""
    return anonymous["auth"]


@pytest.fixture
def gateway(auth_url: str) -> Iterator[httpx.Client]:
    """A client connecting from the trusted proxy's address, whose X-Forwarded-For is believed."""
    transport = httpx.HTTPTransport(local_address=PROXY_ADDRESS)
    with httpx.Client(base_url=auth_url, transport=transport, timeout=10) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def signing_key(jwt_key_file: Path) -> SigningKey:
    return SigningKey(jwt_key_file.read_text())


# --- register -----------------------------------------------------------------------------------


def test_the_address_is_kept_as_typed_and_matched_in_any_case(
    client: httpx.Client, register: Register
) -> None:
    typed = f"Mixed.Case-{uuid.uuid4().hex[:8]}@Example.test"
    account = register(email=typed)
    assert account.session["user"]["email"] == typed
    signed_in = login(client, typed.lower(), PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["email"] == typed
    assert account.auth.get("/api/auth/me").json()["email"] == typed


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("x7#kq9!mZ", id="9-bytes"),
        pytest.param("k" * 73, id="73-bytes"),
        pytest.param("é" * 36 + "k", id="73-bytes-in-37-characters"),
        pytest.param("password123", id="common"),
        pytest.param("qwertyuiop", id="common-keyboard-row"),
        pytest.param("z" * 20, id="one-character-repeated"),
        pytest.param(" " * 12, id="only-spaces"),
        pytest.param("\u2003" * 5, id="only-wide-spaces"),
        pytest.param("abcdefghij\x00", id="nul"),
    ],
)
def test_a_password_against_the_rules_is_422_naming_password(
    client: httpx.Client, password: str
) -> None:
    response = client.post(
        "/api/auth/register",
        json={"email": fresh_email(), "password": password, "name": "Dave"},
    )
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "validation_error"
    assert fields_of(response) == ["password"]


def test_a_password_equal_to_the_email_is_422_naming_password(client: httpx.Client) -> None:
    email = fresh_email()
    response = client.post(
        "/api/auth/register", json={"email": email, "password": email.upper(), "name": "Dave"}
    )
    assert response.status_code == 422
    assert fields_of(response) == ["password"]


def test_concurrent_sign_ups_for_one_address_create_one_account(
    auth_url: str, database: Database
) -> None:
    email = fresh_email()

    def sign_up(n: int) -> int:
        body = {"email": email if n % 2 else email.upper(), "password": PASSWORD, "name": "Twin"}
        return httpx.post(f"{auth_url}/api/auth/register", json=body, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(sign_up, range(6)))
    assert statuses == [202] * 6
    accounts = database.query("SELECT id FROM users WHERE lower(email) = lower($1)", email)
    assert len(accounts) == 1


def test_a_72_byte_multibyte_password_is_accepted_and_signs_in(
    client: httpx.Client, register: Register
) -> None:
    password = "é" * 35 + "ü"  # 36 characters, 72 bytes: bcrypt's whole input
    account = register(password=password)
    assert login(client, account.email, password).status_code == 200
    assert login(client, account.email, "é" * 35 + "u").status_code == 401


@pytest.mark.parametrize("email", ["not-an-address", "two@@example.test", "a@b", ""])
def test_a_bad_email_is_422_naming_email(client: httpx.Client, email: str) -> None:
    response = client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Eve"}
    )
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["email"]


@pytest.mark.parametrize("name", ["", "   ", "Eve\r\nBcc: victim@example.test"])
def test_an_empty_or_multiline_name_is_422_naming_name(client: httpx.Client, name: str) -> None:
    response = client.post(
        "/api/auth/register", json={"email": fresh_email(), "password": PASSWORD, "name": name}
    )
    assert response.status_code == 422
    assert fields_of(response) == ["name"]


def test_a_name_with_a_nul_character_is_422_naming_name(client: httpx.Client) -> None:
    response = client.post(
        "/api/auth/register",
        json={"email": fresh_email(), "password": PASSWORD, "name": "Eve\x00"},
    )
    assert response.status_code == 422
    assert fields_of(response) == ["name"]


def test_register_without_a_body_is_422_in_the_error_shape(client: httpx.Client) -> None:
    response = client.post("/api/auth/register", json={})
    assert response.status_code == 422
    assert set(fields_of(response)) == {"email", "password", "name"}


# --- login --------------------------------------------------------------------------------------


def test_login_answers_200_with_a_session(client: httpx.Client, alice: Account) -> None:
    response = login(client, alice.email, PASSWORD)
    assert response.status_code == 200, response.text
    assert_session(response.json(), alice.email, "Alice")
    assert response.json()["user"]["id"] == alice.id


def test_each_login_starts_a_new_session(client: httpx.Client, alice: Account) -> None:
    first = login(client, alice.email, PASSWORD).json()
    second = login(client, alice.email, PASSWORD).json()
    assert first["refresh_token"] != second["refresh_token"]
    assert first["access_token"] != second["access_token"]


def test_wrong_password_and_unknown_user_are_answered_alike(
    client: httpx.Client, alice: Account
) -> None:
    wrong_password = login(client, alice.email, "not the right passphrase")
    unknown_user = login(client, fresh_email("nobody"), "not the right passphrase")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert error_of(wrong_password)["code"] == "invalid_credentials"
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.headers.get("www-authenticate") == unknown_user.headers.get(
        "www-authenticate"
    )


def test_a_password_longer_than_bcrypt_reads_is_a_plain_401(
    client: httpx.Client, register: Register
) -> None:
    account = register(password="kq" * 36)
    response = login(client, account.email, "kq" * 36 + "tail")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"


def test_an_overlong_unknown_address_is_a_plain_401(client: httpx.Client) -> None:
    # 320 characters that lower-case to 640: longer than the throttle can store.
    response = login(client, "İ" * 320, "not the right passphrase")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"


def test_a_login_address_with_a_nul_character_is_422_naming_email(client: httpx.Client) -> None:
    response = login(client, "alice\x00@example.test", PASSWORD)
    assert response.status_code == 422
    assert fields_of(response) == ["email"]


def test_login_without_a_password_is_422_naming_password(
    client: httpx.Client, alice: Account
) -> None:
    response = client.post("/api/auth/login", json={"email": alice.email})
    assert response.status_code == 422
    assert fields_of(response) == ["password"]


# --- me and verify ------------------------------------------------------------------------------


def test_me_answers_the_signed_in_user(alice: Account) -> None:
    response = alice.auth.get("/api/auth/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": alice.id,
        "email": alice.email,
        "name": "Alice",
        "role": "user",
        "email_verified": True,
    }


def test_me_without_a_token_is_401_with_a_bearer_challenge(client: httpx.Client) -> None:
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


def test_me_for_a_deleted_account_is_401(alice: Account, database: Database) -> None:
    database.query("DELETE FROM users WHERE id = $1", uuid.UUID(alice.id))
    assert alice.auth.get("/api/auth/me").status_code == 401


def test_verify_answers_200_with_the_user_in_headers(alice: Account) -> None:
    response = alice.auth.get("/api/auth/verify")
    assert response.status_code == 200
    assert response.headers["x-user-id"] == alice.id
    assert response.headers["x-user-email"] == alice.email
    assert response.headers["x-user-role"] == "user"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer"}, id="empty-bearer"),
        pytest.param({"Authorization": "Bearer not.a.token"}, id="garbage"),
        pytest.param({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, id="basic-auth"),
    ],
)
def test_verify_without_a_valid_token_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.get("/api/auth/verify", headers=headers)
    assert response.status_code == 401
    assert "x-user-id" not in response.headers
    error_of(response)


def test_verify_accepts_the_scheme_in_any_case(alice: Account, client: httpx.Client) -> None:
    response = client.get(
        "/api/auth/verify", headers={"Authorization": f"bearer {alice.access_token}"}
    )
    assert response.status_code == 200


def test_verify_is_not_throttled(alice: Account) -> None:
    statuses = {alice.auth.get("/api/auth/verify").status_code for _ in range(30)}
    assert statuses == {200}


# --- jwks and token attacks ---------------------------------------------------------------------


def test_jwks_publishes_the_public_key_that_verifies_access_tokens(
    client: httpx.Client, alice: Account
) -> None:
    response = client.get("/api/auth/jwks")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert {"kty", "kid", "alg", "use"} <= key.keys()
    assert key["use"] == "sig"
    assert key["alg"] in ("EdDSA", "RS256")
    assert "d" not in key  # never the private half
    assert jwt.get_unverified_header(alice.access_token)["kid"] == key["kid"]
    claims = jwt.decode(
        alice.access_token,
        key=jwt.PyJWK(key).key,
        algorithms=[key["alg"]],
        audience="eccs",
        issuer="eccs-auth",
    )
    assert claims["sub"] == alice.id


def expired_token(key: SigningKey, account: Account) -> str:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    claims = access_claims(
        uuid.UUID(account.id), account.email, "Alice", "user", an_hour_ago, timedelta(minutes=15)
    )
    return key.sign(claims)


def tampered_token(_: SigningKey, account: Account) -> str:
    header, payload, signature = account.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = b64(json.dumps({**claims, "role": "admin"}).encode())
    return f"{header}.{forged}.{signature}"


def alg_none_token(key: SigningKey, account: Account) -> str:
    _, payload, _ = account.access_token.split(".")
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": key.kid}).encode())
    return f"{header}.{payload}."


def hs256_with_public_key_token(key: SigningKey, account: Account) -> str:
    # The classic algorithm confusion: HMAC "signed" with the public key anyone can fetch.
    public_pem = key.key_set[key.kid].key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _, payload, _ = account.access_token.split(".")
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(mac)}"


@pytest.mark.parametrize(
    "forge", [expired_token, tampered_token, alg_none_token, hs256_with_public_key_token]
)
@pytest.mark.parametrize("path", ["/api/auth/me", "/api/auth/verify"])
def test_a_forged_or_expired_token_is_401(
    client: httpx.Client,
    alice: Account,
    signing_key: SigningKey,
    forge: Callable[[SigningKey, Account], str],
    path: str,
) -> None:
    assert client.get(path, headers=bearer(alice.access_token)).status_code == 200
    response = client.get(path, headers=bearer(forge(signing_key, alice)))
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert "x-user-id" not in response.headers


# --- refresh ------------------------------------------------------------------------------------


def test_refresh_rotates_to_a_new_working_pair(client: httpx.Client, alice: Account) -> None:
    response = refresh(client, alice.refresh_token)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert_session(pair, alice.email, "Alice")
    assert pair["refresh_token"] != alice.refresh_token
    assert pair["access_token"] != alice.access_token
    assert client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 200
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_a_refresh_token_reused_within_the_grace_gets_the_same_pair(
    client: httpx.Client, alice: Account
) -> None:
    first_tab = refresh(client, alice.refresh_token)
    second_tab = refresh(client, alice.refresh_token)
    assert second_tab.status_code == 200
    assert second_tab.json() == first_tab.json()


def test_two_tabs_refreshing_at_the_same_moment_get_the_same_pair(
    auth_url: str, alice: Account
) -> None:
    def refresh_once(_: int) -> httpx.Response:
        body = {"refresh_token": alice.refresh_token}
        return httpx.post(f"{auth_url}/api/auth/refresh", json=body, timeout=10)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(refresh_once, range(4)))
    assert [answer.status_code for answer in answers] == [200] * 4
    assert len({answer.json()["refresh_token"] for answer in answers}) == 1


def test_a_refresh_token_reused_after_the_grace_revokes_its_whole_family(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    newest = refresh(client, alice.refresh_token).json()["refresh_token"]
    database.query(
        "UPDATE refresh_tokens SET rotated_at = rotated_at - interval '11 seconds' WHERE id = $1",
        token_row_id(alice.refresh_token),
    )
    reused = refresh(client, alice.refresh_token)
    assert reused.status_code == 401
    assert error_of(reused)["code"] == "refresh_token_reused"
    assert reused.headers["www-authenticate"] == "Bearer"
    assert refresh(client, newest).status_code == 401  # the thief's (or victim's) copy too


def test_reuse_detection_leaves_other_sign_ins_alone(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    other_device = login(client, alice.email, PASSWORD).json()["refresh_token"]
    refresh(client, alice.refresh_token)
    database.query(
        "UPDATE refresh_tokens SET rotated_at = now() - interval '1 minute' WHERE id = $1",
        token_row_id(alice.refresh_token),
    )
    assert refresh(client, alice.refresh_token).status_code == 401
    assert refresh(client, other_device).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param(f"{uuid.uuid4()}.{b64(bytes(32))}", id="unknown-id"),
    ],
)
def test_an_invalid_refresh_token_is_401(client: httpx.Client, token: str) -> None:
    response = refresh(client, token)
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_refresh_token"


def test_a_refresh_token_with_the_wrong_secret_is_401(client: httpx.Client, alice: Account) -> None:
    row_id = alice.refresh_token.partition(".")[0]
    response = refresh(client, f"{row_id}.{b64(bytes(32))}")
    assert response.status_code == 401
    assert refresh(client, alice.refresh_token).status_code == 200  # the real one is untouched


def test_an_expired_refresh_token_is_401(
    client: httpx.Client, alice: Account, database: Database
) -> None:
    database.query(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
        token_row_id(alice.refresh_token),
    )
    assert refresh(client, alice.refresh_token).status_code == 401


def test_refresh_without_a_token_is_422_naming_refresh_token(client: httpx.Client) -> None:
    response = client.post("/api/auth/refresh", json={"refresh_token": ""})
    assert response.status_code == 422
    assert fields_of(response) == ["refresh_token"]


# --- logout -------------------------------------------------------------------------------------


def test_logout_answers_204_and_ends_the_sign_in(client: httpx.Client, alice: Account) -> None:
    rotated = refresh(client, alice.refresh_token).json()["refresh_token"]
    response = client.post("/api/auth/logout", json={"refresh_token": rotated})
    assert response.status_code == 204
    assert response.content == b""
    assert refresh(client, rotated).status_code == 401
    assert refresh(client, alice.refresh_token).status_code == 401  # no grace after logout


def test_logout_leaves_other_sign_ins_alone(client: httpx.Client, alice: Account) -> None:
    other_device = login(client, alice.email, PASSWORD).json()["refresh_token"]
    client.post("/api/auth/logout", json={"refresh_token": alice.refresh_token})
    assert refresh(client, other_device).status_code == 200


def test_logout_with_an_invalid_refresh_token_is_401(client: httpx.Client) -> None:
    response = client.post("/api/auth/logout", json={"refresh_token": "garbage"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_refresh_token"


# --- login throttling ---------------------------------------------------------------------------


def fail_logins(client: httpx.Client, emails: list[str], **kwargs: Any) -> None:
    for email in emails:
        response = login(client, email, "not the right passphrase", **kwargs)
        assert response.status_code == 401, response.text


def assert_throttled(response: httpx.Response, longest_wait: int) -> None:
    assert response.status_code == 429, response.text
    assert error_of(response)["code"] == "login_throttled"
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= longest_wait


def test_five_failures_hold_back_that_address_even_with_the_right_password(
    client: httpx.Client, alice: Account
) -> None:
    fail_logins(client, [alice.email] * 5)
    assert_throttled(login(client, alice.email, PASSWORD), longest_wait=15 * 60)
    assert_throttled(login(client, alice.email.upper(), PASSWORD), longest_wait=15 * 60)


def forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_five_failures_from_one_address_hold_it_back_for_that_account_only(
    gateway: httpx.Client, alice: Account, bob: Account
) -> None:
    attacker = forwarded("203.0.113.50")
    fail_logins(gateway, [alice.email] * 5, headers=attacker)

    assert_throttled(login(gateway, alice.email, PASSWORD, headers=attacker), 15 * 60)
    assert login(gateway, bob.email, PASSWORD, headers=attacker).status_code == 200
    assert (
        login(gateway, alice.email, PASSWORD, headers=forwarded("203.0.113.51")).status_code == 200
    )


def test_fifty_failures_from_ten_other_addresses_never_lock_the_owner_out(
    gateway: httpx.Client, alice: Account
) -> None:
    for n in range(10):
        fail_logins(gateway, [alice.email] * 5, headers=forwarded(f"203.0.113.{100 + n}"))

    owner = forwarded("198.51.100.20")
    assert login(gateway, alice.email, PASSWORD, headers=owner).status_code == 200


def test_guessing_spread_over_many_addresses_meets_a_ceiling_the_owner_never_meets(
    gateway: httpx.Client, alice: Account
) -> None:
    owner = forwarded("198.51.100.30")
    assert login(gateway, alice.email, PASSWORD, headers=owner).status_code == 200
    for n in range(20):  # 100 failures, 5 from each address: the per-account ceiling
        fail_logins(gateway, [alice.email] * 5, headers=forwarded(f"203.0.113.{n + 1}"))

    stranger = forwarded("192.0.2.99")
    assert_throttled(login(gateway, alice.email, PASSWORD, headers=stranger), 60 * 60)
    assert login(gateway, alice.email, PASSWORD, headers=owner).status_code == 200


def test_a_locked_account_does_not_lock_out_another_account(
    client: httpx.Client, alice: Account, bob: Account
) -> None:
    fail_logins(client, [alice.email] * 5)
    assert login(client, bob.email, PASSWORD).status_code == 200


def test_a_success_clears_the_failures_that_came_before_it(
    client: httpx.Client, alice: Account
) -> None:
    fail_logins(client, [alice.email] * 4)
    assert login(client, alice.email, PASSWORD).status_code == 200
    fail_logins(client, [alice.email] * 4)
    assert login(client, alice.email, PASSWORD).status_code == 200


def test_twenty_failures_from_one_forwarded_address_throttle_that_address_only(
    gateway: httpx.Client, alice: Account
) -> None:
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    fail_logins(gateway, [fresh_email("guess") for _ in range(20)], headers=attacker)
    assert_throttled(login(gateway, alice.email, PASSWORD, headers=attacker), longest_wait=60)
    neighbour = {"X-Forwarded-For": "203.0.113.8"}
    assert login(gateway, alice.email, PASSWORD, headers=neighbour).status_code == 200


@pytest.fixture(scope="module")
def costly_auth(service_env: dict[str, str], work_dir: Path) -> Iterator[Service]:
    """An auth-service hashing at a real cost (about 50 ms a password here): long enough for
    guesses fired at once to overlap inside the service."""
    with own_auth_service(service_env, work_dir, "costly-auth", BCRYPT_ROUNDS="10") as service:
        yield service


def test_guesses_fired_at_once_get_no_more_tries_than_one_by_one(costly_auth: Service) -> None:
    email = fresh_email("targeted")
    body = {"email": email, "password": PASSWORD, "name": "Target"}
    assert httpx.post(f"{costly_auth.url}/api/auth/register", json=body, timeout=30).is_success

    def guess(_: int) -> int:
        wrong = {"email": email, "password": "not the right passphrase"}
        return httpx.post(f"{costly_auth.url}/api/auth/login", json=wrong, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(guess, range(20)))

    assert sorted(answers) == [401] * 5 + [429] * 15


@pytest.fixture(scope="module")
def default_auth(service_env: dict[str, str], work_dir: Path) -> Iterator[Service]:
    """An auth-service with the default sign-up throttle (the suite's own allows far more)."""
    with own_auth_service(
        service_env, work_dir, "default-auth", REGISTRATIONS_PER_ADDRESS="10"
    ) as service:
        yield service


def test_sign_ups_are_throttled_per_client_address(default_auth: Service) -> None:
    transport = httpx.HTTPTransport(local_address=PROXY_ADDRESS)
    with httpx.Client(base_url=default_auth.url, transport=transport, timeout=10) as gateway:

        def sign_up(email: str, address: str) -> httpx.Response:
            body = {"email": email, "password": PASSWORD, "name": "Mallory"}
            return gateway.post("/api/auth/register", json=body, headers=forwarded(address))

        taken = fresh_email("taken")
        statuses = [sign_up(taken, "203.0.113.60").status_code for _ in range(10)]
        assert statuses == [202] * 10  # sign-ups with a taken address count too

        throttled = sign_up(fresh_email(), "203.0.113.60")
        assert throttled.status_code == 429, throttled.text
        assert error_of(throttled)["code"] == "registration_throttled"
        assert 1 <= int(throttled.headers["retry-after"]) <= 60 * 60
        assert sign_up(fresh_email(), "203.0.113.61").status_code == 202


def test_sign_ups_fired_at_once_stop_at_the_same_count(default_auth: Service) -> None:
    def sign_up(_: int) -> int:
        transport = httpx.HTTPTransport(local_address=PROXY_ADDRESS)
        with httpx.Client(base_url=default_auth.url, transport=transport, timeout=30) as gateway:
            body = {"email": fresh_email(), "password": PASSWORD, "name": "Mallory"}
            headers = forwarded("203.0.113.62")
            return gateway.post("/api/auth/register", json=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=15) as pool:
        answers = list(pool.map(sign_up, range(15)))

    assert sorted(answers) == [202] * 10 + [429] * 5


def logins_counted(client: httpx.Client, outcome: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "eccs_logins_total" and sample.labels == {"outcome": outcome}:
                return sample.value
    return 0.0


def test_throttled_logins_are_counted_in_the_metrics(
    client: httpx.Client, gateway: httpx.Client, alice: Account
) -> None:
    before = logins_counted(client, "throttled")
    attacker = {"X-Forwarded-For": "203.0.113.77"}
    fail_logins(gateway, [fresh_email("guess") for _ in range(20)], headers=attacker)
    assert_throttled(login(gateway, alice.email, PASSWORD, headers=attacker), longest_wait=60)
    assert logins_counted(client, "throttled") == before + 1


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    client: httpx.Client, gateway: httpx.Client, alice: Account
) -> None:
    # Each attempt claims another origin; all of them must still count against 127.0.0.1.
    for n in range(20):
        spoofed = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
        fail_logins(client, [fresh_email("guess")], headers=spoofed)
    spoofed = {"X-Forwarded-For": "198.51.100.200"}
    assert_throttled(login(client, alice.email, PASSWORD, headers=spoofed), longest_wait=60)
    via_gateway = {"X-Forwarded-For": "203.0.113.9"}
    assert login(gateway, alice.email, PASSWORD, headers=via_gateway).status_code == 200


@pytest.mark.parametrize("forwarded", ["x" * 400, "not an address", ""])
def test_a_malformed_forwarded_address_is_a_plain_401_and_still_counts(
    gateway: httpx.Client, alice: Account, forwarded: str
) -> None:
    odd = {"X-Forwarded-For": forwarded}
    fail_logins(gateway, [fresh_email("guess") for _ in range(20)], headers=odd)
    assert_throttled(login(gateway, alice.email, PASSWORD, headers=odd), longest_wait=60)


# --- the admin command line ---------------------------------------------------------------------


def eccs_user_create(
    database: Database, email: str, *extra: str, name: str = "Root", password: str = PASSWORD
) -> subprocess.CompletedProcess[str]:
    """Run the real command, as an operator would, against the test database."""
    return subprocess.run(
        [sys.executable, "-m", "eccs", "user", "create", "--email", email, "--name", name,
         "--password", password, *extra],
        env={**os.environ, "DATABASE_URL": database.url, "BCRYPT_ROUNDS": "4"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


def test_the_cli_creates_an_admin_who_can_sign_in(client: httpx.Client, database: Database) -> None:
    email = fresh_email("admin")
    done = eccs_user_create(database, email, "--admin")
    assert done.returncode == 0, done.stderr
    session = login(client, email, PASSWORD).json()
    assert session["user"]["role"] == "admin"
    assert session["user"]["email_verified"] is True  # an operator made it: nothing to confirm
    # What was made, alone on stdout (for `ID=$(eccs user create ...)`); progress on stderr.
    [made] = done.stdout.splitlines()
    assert session["user"]["id"] in made and "admin" in made
    verified = client.get("/api/auth/verify", headers=bearer(session["access_token"]))
    assert verified.headers["x-user-role"] == "admin"


def test_the_cli_creates_a_plain_user_without_admin(
    client: httpx.Client, database: Database
) -> None:
    email = fresh_email()
    assert eccs_user_create(database, email).returncode == 0
    assert login(client, email, PASSWORD).json()["user"]["role"] == "user"


def test_the_cli_refuses_a_duplicate_in_one_line(database: Database, register: Register) -> None:
    account = register()
    done = eccs_user_create(database, account.email.upper(), "--admin")
    assert done.returncode != 0
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "already exists" in message
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("name", "password", "named"),
    [
        pytest.param("Root", "password123", "password", id="common-password"),
        pytest.param("   ", PASSWORD, "name", id="blank-name"),
        pytest.param("Root\nBcc: x@example.test", PASSWORD, "name", id="multiline-name"),
    ],
)
def test_the_cli_applies_the_sign_up_rules(
    database: Database, name: str, password: str, named: str
) -> None:
    email = fresh_email()
    done = eccs_user_create(database, email, name=name, password=password)
    assert done.returncode != 0
    assert named in done.stderr
    assert email not in done.stderr  # the message names the value at fault, not the address
    assert "Traceback" not in done.stderr
    assert database.query("SELECT 1 FROM users WHERE email = $1", email) == []


# --- operational endpoints ----------------------------------------------------------------------


def test_health_answers_ok(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_ready_lists_postgresql_as_ok(client: httpx.Client) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["postgresql"] == "ok"


def test_metrics_count_requests_by_route_template_never_by_raw_path(
    client: httpx.Client, alice: Account
) -> None:
    login(client, alice.email, PASSWORD)
    stray_id = uuid.uuid4().hex
    assert client.get(f"/api/auth/users/{stray_id}").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    lines = [line for line in text.splitlines() if line.startswith("eccs_http_requests_total{")]
    assert any('route="/api/auth/login"' in line and 'status="200"' in line for line in lines)
    assert stray_id not in text
    assert alice.id not in text


def test_openapi_lists_every_401_and_422_with_the_error_body(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    error_ref = "#/components/schemas/ErrorBody"
    assert "ErrorBody" in document["components"]["schemas"]
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = set()
            if operation.get("security"):
                expected.add("401")
            if operation.get("requestBody") or operation.get("parameters"):
                expected.add("422")
            for status in expected:
                assert status in responses, f"{method.upper()} {path} does not list {status}"
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, f"{method.upper()} {path} {status}"
                checked += 1
    assert checked >= 6
    # Routes that answer 401 for a bad credential in the body, not a bearer token.
    for path in ("/api/auth/login", "/api/auth/refresh", "/api/auth/logout"):
        listed = document["paths"][path]["post"]["responses"]
        assert listed["401"]["content"]["application/json"]["schema"] == {"$ref": error_ref}
    assert "429" in document["paths"]["/api/auth/login"]["post"]["responses"]
    assert "429" in document["paths"]["/api/auth/register"]["post"]["responses"]


def test_an_unknown_route_is_404_in_the_error_shape(client: httpx.Client) -> None:
    response = client.get("/api/auth/no-such-thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_405_in_the_error_shape(client: httpx.Client) -> None:
    response = client.get("/api/auth/login")
    assert response.status_code == 405
    error_of(response)


LIMIT = 256 * 1024  # MAX_REQUEST_BYTES in the test services


def oversize_json() -> bytes:
    return json.dumps(
        {"email": "a@example.test", "password": PASSWORD, "name": "x" * LIMIT}
    ).encode()


def test_an_oversize_body_is_413_in_the_error_shape(client: httpx.Client) -> None:
    response = client.post(
        "/api/auth/register", content=oversize_json(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_an_oversize_chunked_body_without_length_is_413(client: httpx.Client) -> None:
    body = oversize_json()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    response = client.post(
        "/api/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_a_chunked_body_under_the_limit_is_read_normally(
    client: httpx.Client,
) -> None:
    email = fresh_email()
    body = json.dumps({"email": email, "password": PASSWORD, "name": "Chunky"}).encode()

    def chunks() -> Iterator[bytes]:
        yield body[:10]
        yield body[10:]

    response = client.post(
        "/api/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text
    assert response.json()["email"] == email


def test_responses_carry_a_request_id(client: httpx.Client) -> None:
    assert client.get("/health").headers.get("x-request-id")
    echoed = client.get("/health", headers={"X-Request-Id": "trace-me-123"})
    assert echoed.headers["x-request-id"] == "trace-me-123"


def test_verify_handles_an_internationalised_address(
    client: httpx.Client, register: Register
) -> None:
    account = register(email=f"用户-{uuid.uuid4().hex[:6]}@example.test")
    response = client.get("/api/auth/verify", headers=bearer(account.access_token))
    assert response.status_code == 200, response.text
    assert response.headers["x-user-id"] == account.id
    # Header values are ASCII: the address travels percent-encoded and decodes back exactly.
    assert response.headers["x-user-email"].isascii()
    assert unquote(response.headers["x-user-email"]) == account.email
