"""API keys as programs use them: made once and shown once, accepted by every email-service
endpoint within their scopes and by forward-auth, refused the moment they are revoked, and
named in the emails they send."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Database
from tests.integration.conftest import Account, error_of, fields_of
from tests.waiting import wait_until

Register = Callable[..., Account]
EVERY_SCOPE = ["emails:send", "emails:read", "templates", "contacts"]
MESSAGE = {"to": ["reader@example.test"], "subject": "From a program", "text": "Hello"}


def make_key(owner: Account, scopes: list[str], name: str = "ci", **body: Any) -> dict[str, Any]:
    response = owner.auth.post("/api/auth/keys", json={"name": name, "scopes": scopes, **body})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def with_key(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


@pytest.fixture
def program(alice: Account, email_url: str) -> Iterator[tuple[dict[str, Any], httpx.Client]]:
    """A key of Alice's with every scope a user may give, and a client that sends it."""
    key = make_key(alice, EVERY_SCOPE)
    with with_key(email_url, key["key"]) as client:
        yield key, client


# --- making and listing --------------------------------------------------------------------------


def test_a_key_is_shown_once_and_listed_without_it(alice: Account, database: Database) -> None:
    made = make_key(alice, ["emails:send"], name="Billing service")

    assert made["key"].startswith("eccs_") and len(made["key"]) == 48
    assert made["prefix"] == made["key"][:13]
    assert made["scopes"] == ["emails:send"] and made["last_used_at"] is None
    listed = alice.auth.get("/api/auth/keys").json()["items"]
    assert listed == [{k: v for k, v in made.items() if k != "key"}]
    stored = database.query(
        "SELECT key_hash, prefix FROM api_keys WHERE id = $1", uuid.UUID(made["id"])
    )
    assert made["key"].encode() not in bytes(stored[0]["key_hash"])
    assert len(bytes(stored[0]["key_hash"])) == 32


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "x", "scopes": []}, "scopes", id="no-scope"),
        pytest.param({"name": "x", "scopes": ["emails:delete"]}, "scopes[0]", id="unknown-scope"),
        pytest.param({"name": " ", "scopes": ["contacts"]}, "name", id="blank-name"),
        pytest.param(
            {"name": "x", "scopes": ["contacts"], "expires_at": "2000-01-01T00:00:00Z"},
            "expires_at",
            id="expired-already",
        ),
    ],
)
def test_a_bad_key_request_is_422_naming_the_field(
    alice: Account, body: dict[str, Any], field: str
) -> None:
    assert fields_of(alice.auth.post("/api/auth/keys", json=body)) == [field]


def test_only_an_administrator_may_make_an_admin_key(
    alice: Account, admin: Account, email_url: str
) -> None:
    refused = alice.auth.post("/api/auth/keys", json={"name": "ops", "scopes": ["admin"]})
    assert error_of(refused, 403)["code"] == "scope_not_allowed"

    operator_key = make_key(admin, ["admin"])["key"]
    with with_key(email_url, operator_key) as operator:
        assert operator.get("/api/admin/dlq").status_code == 200
        assert error_of(operator.get("/api/emails"), 403)["code"] == "missing_scope"
    plain = make_key(admin, ["emails:read"])["key"]
    with with_key(email_url, plain) as reader:
        denied = reader.get("/api/admin/dlq")
        assert error_of(denied, 403)["code"] == "missing_scope"
        assert "admin" in denied.json()["error"]["message"]


# --- using a key ---------------------------------------------------------------------------------


def test_a_key_sends_and_the_email_says_which_key(
    program: tuple[dict[str, Any], httpx.Client], alice: Account
) -> None:
    key, client = program
    sent = client.post("/api/emails/send", json=MESSAGE)
    assert sent.status_code == 202, sent.text

    email = alice.mail.get(f"/api/emails/{sent.json()['id']}").json()
    assert email["api_key"] == {"id": key["id"], "name": "ci"}
    assert email["timeline"][0] == {
        "attempt": 0,
        "outcome": "submitted",
        "at": email["created_at"],
        "recipient": None,
        "smtp_code": None,
        "smtp_reply": None,
        "detail": 'with the API key "ci"',
    }
    by_hand = alice.mail.get(f"/api/emails/{alice.send().json()['id']}").json()
    assert by_hand["api_key"] is None
    assert by_hand["timeline"][0]["detail"] == "by its sender, signed in"


def test_every_area_takes_a_key_with_its_scope(
    program: tuple[dict[str, Any], httpx.Client],
) -> None:
    _, client = program
    template = {"name": "Welcome", "subject": "Hi {{name}}", "text": "Hello {{name}}"}
    assert client.post("/api/templates", json=template).status_code == 201
    assert client.post("/api/contacts", json={"email": "c@example.test"}).status_code == 201
    assert client.get("/api/emails").status_code == 200
    assert client.get("/api/emails/stats").status_code == 200
    assert client.get("/api/templates").json()["total"] == 1
    assert client.get("/api/contacts").json()["total"] == 1


@pytest.mark.parametrize(
    ("scopes", "method", "path", "missing"),
    [
        (["emails:read"], "POST", "/api/emails/send", "emails:send"),
        (["emails:send"], "GET", "/api/emails", "emails:read"),
        (["emails:send"], "GET", "/api/templates", "templates"),
        (["templates"], "GET", "/api/contacts", "contacts"),
        (["contacts"], "GET", "/api/emails/stats", "emails:read"),
    ],
)
def test_a_key_without_the_scope_is_403_naming_it(
    alice: Account, email_url: str, scopes: list[str], method: str, path: str, missing: str
) -> None:
    with with_key(email_url, make_key(alice, scopes)["key"]) as client:
        response = client.request(method, path, json=MESSAGE if method == "POST" else None)
    error = error_of(response, 403)
    assert error["code"] == "missing_scope"
    assert missing in error["message"]
    assert error["fields"] == [{"field": "scope", "message": f"{missing} is needed"}]


def test_a_key_cannot_manage_the_account(
    program: tuple[dict[str, Any], httpx.Client], auth_url: str, email_url: str
) -> None:
    key, _ = program
    with with_key(auth_url, key["key"]) as auth, with_key(email_url, key["key"]) as mail:
        for response in (
            auth.post("/api/auth/keys", json={"name": "more", "scopes": ["contacts"]}),
            auth.get("/api/auth/keys"),
            auth.delete(f"/api/auth/keys/{key['id']}"),
            auth.post("/api/auth/password", json={"current_password": "x", "new_password": "y"}),
            auth.patch("/api/auth/me", json={"name": "Renamed by a program"}),
            mail.get("/api/account/export"),
        ):
            assert error_of(response, 403)["code"] == "person_required", response.request.url


def test_forward_auth_accepts_a_key(
    program: tuple[dict[str, Any], httpx.Client], alice: Account, auth_url: str
) -> None:
    key, _ = program
    with with_key(auth_url, key["key"]) as auth:
        verified = auth.get("/api/auth/verify")
    assert verified.status_code == 200, verified.text
    assert verified.headers["x-user-id"] == alice.id
    assert verified.headers["x-user-role"] == "user"
    body = verified.json()
    assert body["api_key"] == {"id": key["id"], "name": "ci"}
    assert body["scopes"] == sorted(EVERY_SCOPE)


@pytest.mark.parametrize(
    "credential",
    ["eccs_" + "A" * 43, "eccs_", "eccs_not a key at all"],
    ids=["unknown", "bare", "junk"],
)
def test_an_unknown_key_is_401(credential: str, email_url: str, auth_url: str) -> None:
    for url, path in ((email_url, "/api/emails"), (auth_url, "/api/auth/verify")):
        with with_key(url, credential) as client:
            assert error_of(client.get(path), 401)["code"] == "not_authenticated"


def test_a_key_is_checked_once_and_then_remembered(
    program: tuple[dict[str, Any], httpx.Client], alice: Account, auth_url: str
) -> None:
    """The email-service asks auth-service about a key once, not on every request."""
    _, client = program
    before = verify_calls(auth_url)
    for _ in range(10):
        assert client.post("/api/emails/send", json=MESSAGE).status_code == 202
    assert verify_calls(auth_url) - before == 1
    used = alice.auth.get("/api/auth/keys").json()["items"][0]["last_used_at"]
    assert used is not None
    assert datetime.fromisoformat(used) > datetime.now(UTC) - timedelta(minutes=1)


def verify_calls(auth_url: str) -> float:
    metrics = httpx.get(f"{auth_url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "eccs_http_requests_total"
        and sample.labels.get("route") == "/api/auth/verify"
    )


def test_an_expired_key_is_refused(alice: Account, email_url: str) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=2)
    key = make_key(alice, ["emails:read"], expires_at=soon.isoformat())
    with with_key(email_url, key["key"]) as client:
        assert client.get("/api/emails").status_code == 200
        wait_until(lambda: datetime.now(UTC) > soon, "the key's expiry")
        assert error_of(client.get("/api/emails"), 401)["code"] == "not_authenticated"


# --- revoking ------------------------------------------------------------------------------------


def test_a_revoked_key_is_refused_at_once_everywhere(
    program: tuple[dict[str, Any], httpx.Client], alice: Account, auth_url: str
) -> None:
    key, client = program
    assert client.post("/api/emails/send", json=MESSAGE).status_code == 202  # checked, cached

    assert alice.auth.delete(f"/api/auth/keys/{key['id']}").status_code == 204

    # The send's own statement checks the key: refused with the very next request.
    assert error_of(client.post("/api/emails/send", json=MESSAGE), 401)["message"]
    # Other requests drop the cached check as the announcement arrives: within milliseconds,
    # later only on a machine too busy to read it at once.
    wait_until(
        lambda: client.get("/api/emails").status_code == 401,
        "email-service hearing of the revocation",
        timeout=2,
    )
    assert client.get("/api/templates").status_code == 401
    with with_key(auth_url, key["key"]) as auth:
        assert auth.get("/api/auth/verify").status_code == 401
    assert alice.auth.get("/api/auth/keys").json()["items"] == []
    again = alice.auth.delete(f"/api/auth/keys/{key['id']}")
    assert error_of(again, 404)["code"] == "api_key_not_found"


def test_revoking_one_key_leaves_the_others_working(alice: Account, email_url: str) -> None:
    kept, revoked = make_key(alice, ["emails:read"]), make_key(alice, ["emails:read"])
    alice.auth.delete(f"/api/auth/keys/{revoked['id']}")
    with with_key(email_url, kept["key"]) as client:
        assert client.get("/api/emails").status_code == 200


def test_someone_elses_key_cannot_be_revoked(
    program: tuple[dict[str, Any], httpx.Client], bob: Account
) -> None:
    key, client = program
    assert (
        error_of(bob.auth.delete(f"/api/auth/keys/{key['id']}"), 404)["code"] == "api_key_not_found"
    )
    assert client.get("/api/emails").status_code == 200


def test_a_key_of_an_unverified_account_cannot_send(register: Register, email_url: str) -> None:
    account = register(verified=False)
    with with_key(email_url, make_key(account, ["emails:send"])["key"]) as client:
        refused = client.post("/api/emails/send", json=MESSAGE)
    assert error_of(refused, 403)["code"] == "address_unverified"


def test_the_send_path_refuses_a_key_gone_from_the_database(
    program: tuple[dict[str, Any], httpx.Client], database: Database
) -> None:
    """Even with the key still remembered (no announcement heard), the send itself checks."""
    key, client = program
    assert client.post("/api/emails/send", json=MESSAGE).status_code == 202
    database.query("DELETE FROM api_keys WHERE id = $1", uuid.UUID(key["id"]))
    refused = client.post("/api/emails/send", json=MESSAGE)
    assert error_of(refused, 401)["code"] == "sender_gone"
