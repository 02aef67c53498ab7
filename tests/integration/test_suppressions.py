"""Suppression lists through the API and the command line, against the running email-service:
each sender's own list (add, read, search, remove), the operators' list of everyone's, complaints
and one-click unsubscribe links. What delivery does with a list is in webhooks/test_webhooks.py."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Database
from tests.integration.conftest import Account, error_of, fields_of


def suppress(account: Account, address: str, **body: Any) -> httpx.Response:
    return account.mail.post("/api/suppressions", json={"address": address, **body})


def listed(account: Account, **params: Any) -> list[str]:
    page = account.mail.get("/api/suppressions", params=params).json()
    return [item["address"] for item in page["items"]]


def test_a_sender_adds_reads_searches_and_removes_addresses(alice: Account) -> None:
    added = suppress(alice, "Jo.Doe@Example.test", detail="asked by phone")
    suppress(alice, "ann@example.test")
    suppress(alice, "bob@other.test")

    assert added.status_code == 201, added.text
    assert added.json()["address"] == "jo.doe@example.test"
    assert (added.json()["reason"], added.json()["detail"]) == ("manual", "asked by phone")
    assert listed(alice) == ["bob@other.test", "ann@example.test", "jo.doe@example.test"]
    assert listed(alice, q="EXAMPLE") == ["ann@example.test", "jo.doe@example.test"]
    assert listed(alice, reason="refused") == []
    assert alice.mail.get("/api/suppressions/JO.DOE@example.test").json()["reason"] == "manual"
    assert alice.mail.delete("/api/suppressions/jo.doe@example.test").status_code == 204
    assert error_of(alice.mail.get("/api/suppressions/jo.doe@example.test"), 404)["code"] == (
        "suppression_not_found"
    )
    assert error_of(alice.mail.delete("/api/suppressions/jo.doe@example.test"), 404)


def test_lists_are_each_senders_own(alice: Account, bob: Account) -> None:
    suppress(alice, "shared@example.test")

    assert listed(bob) == []
    assert bob.mail.get("/api/suppressions/shared@example.test").status_code == 404
    assert suppress(bob, "shared@example.test").status_code == 201  # a list of bob's own


def test_an_address_listed_twice_or_invalid_is_refused(alice: Account) -> None:
    suppress(alice, "once@example.test")

    assert error_of(suppress(alice, "ONCE@example.test"), 409)["code"] == "already_suppressed"
    assert fields_of(suppress(alice, "not an address")) == ["address"]
    assert fields_of(suppress(alice, "a@example.test", reason="refused")) == ["reason"]


def test_operators_see_every_senders_list_and_others_do_not(
    alice: Account, bob: Account, admin: Account
) -> None:
    suppress(alice, "a-list@example.test")
    suppress(bob, "b-list@example.test")

    everyone = admin.mail.get("/api/admin/suppressions").json()
    bobs = admin.mail.get("/api/admin/suppressions", params={"user_id": bob.id}).json()

    owners = {item["address"]: item["sender_email"] for item in everyone["items"]}
    assert owners == {"a-list@example.test": alice.email, "b-list@example.test": bob.email}
    assert [item["address"] for item in bobs["items"]] == ["b-list@example.test"]
    assert error_of(alice.mail.get("/api/admin/suppressions"), 403)


def test_a_complaint_lists_the_recipient_of_that_email_only(alice: Account, bob: Account) -> None:
    email_id = alice.send(to=["grumpy@example.test", "fine@example.test"]).json()["id"]

    complained = alice.mail.post(
        f"/api/emails/{email_id}/complaint", json={"recipient": "Grumpy@example.test"}
    )

    assert complained.status_code == 201, complained.text
    assert (complained.json()["reason"], complained.json()["email_id"]) == ("complaint", email_id)
    assert listed(alice) == ["grumpy@example.test"]
    stranger = {"recipient": "someone@example.test"}
    assert error_of(alice.mail.post(f"/api/emails/{email_id}/complaint", json=stranger), 404)[
        "code"
    ] == ("recipient_not_found")
    not_bobs = bob.mail.post(f"/api/emails/{email_id}/complaint", json={"recipient": "x@y.test"})
    assert error_of(not_bobs, 404)["code"] == "email_not_found"


def test_an_unsubscribe_link_asks_first_then_suppresses_once(
    alice: Account, email_url: str, database: Database
) -> None:
    email_id = alice.send(to=["reader@example.test"], list_unsubscribe=True).json()["id"]
    [row] = database.query(
        "SELECT unsubscribe_token FROM emails WHERE id = $1", uuid.UUID(email_id)
    )
    link = f"{email_url}/api/unsubscribe/{row['unsubscribe_token']}"

    opened = httpx.get(link, timeout=10)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/unsubscribe/{row['unsubscribe_token']}"
    assert listed(alice) == [], "following the link must not unsubscribe"

    clicked = httpx.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    again = httpx.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=10)

    assert clicked.json() == {"address": "reader@example.test", "sender": "Alice"}
    assert again.status_code == 200
    assert alice.mail.get("/api/suppressions/reader@example.test").json()["reason"] == (
        "unsubscribed"
    )
    headers = alice.mail.get(f"/api/emails/{email_id}").json()["headers"]
    assert headers["List-Unsubscribe"].endswith(f"/api/unsubscribe/{row['unsubscribe_token']}>")


def test_an_unknown_unsubscribe_link_is_404(email_url: str) -> None:
    response = httpx.post(f"{email_url}/api/unsubscribe/{'x' * 43}", timeout=10)

    assert error_of(response, 404)["code"] == "unsubscribe_link_not_found"
    assert httpx.post(f"{email_url}/api/unsubscribe/short", timeout=10).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"to": ["a@example.test", "b@example.test"], "list_unsubscribe": True},
            "list_unsubscribe",
        ),
        ({"headers": {"Bcc": "spy@example.test"}}, "headers.Bcc"),
        ({"headers": {"X-Ok": "a\r\nBcc: spy@example.test"}}, "headers.X-Ok"),
        ({"headers": {"X-Ok": "a", "x-ok": "b"}}, "headers.x-ok"),
        ({"reply_to": "not an address"}, "reply_to"),
    ],
)
def test_headers_that_could_inject_or_mislead_are_refused_naming_them(
    alice: Account, body: dict[str, Any], field: str
) -> None:
    assert fields_of(alice.send(**body)) == [field]


def test_the_added_headers_and_reply_to_are_kept_with_the_email(alice: Account) -> None:
    email_id = alice.send(
        headers={"X-Campaign": "spring", "List-Id": "<news.example.test>"},
        reply_to="support@example.test",
    ).json()["id"]

    email = alice.mail.get(f"/api/emails/{email_id}").json()

    assert email["headers"] == {"X-Campaign": "spring", "List-Id": "<news.example.test>"}
    assert email["reply_to"] == "support@example.test"


# --- the command line ---------------------------------------------------------------------------


def eccs_suppression(
    database: Database, *args: str, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eccs", "suppression", *args],
        env={**os.environ, "DATABASE_URL": database.url, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_eccs_suppression_adds_lists_searches_and_removes(
    alice: Account, bob: Account, database: Database
) -> None:
    added = eccs_suppression(database, "add", "Cli@Example.test", "--user", alice.email)
    suppress(bob, "bobs@example.test")

    everyone = eccs_suppression(database, "list")
    narrow = eccs_suppression(database, "list", columns=80)
    alices = eccs_suppression(database, "list", "--user", alice.email.upper())
    found = eccs_suppression(database, "search", "bobs")
    removed = eccs_suppression(database, "remove", "cli@example.test", "--user", alice.email)

    assert added.returncode == 0, added.stderr
    assert f"cli@example.test is on {alice.email}'s suppression list" in added.stdout
    assert "cli@example.test" in everyone.stdout and "bobs@example.test" in everyone.stdout
    assert "2 shown of 2 suppressed addresses" in everyone.stdout
    assert "cli@example.test" in narrow.stdout and "bobs@example.test" in narrow.stdout
    assert "bobs@example.test" not in alices.stdout and "manual" in alices.stdout
    assert "1 shown of 1" in found.stdout and "bobs@example.test" in found.stdout
    assert removed.returncode == 0, removed.stderr
    assert listed(alice) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "x@example.test", "--user", "nobody@example.test"], "no account has the address"),
        (["remove", "never@example.test", "--user", "{alice}"], "not on your suppression list"),
        (["add", "not an address", "--user", "{alice}"], "is not an address"),
        (["list", "--limit", "0"], "--limit must be between 1 and 1000"),
    ],
)
def test_eccs_suppression_says_what_went_wrong_in_one_line(
    alice: Account, database: Database, args: list[str], says: str
) -> None:
    done = eccs_suppression(database, *(arg.format(alice=alice.email) for arg in args))

    assert done.returncode == 1
    assert says in done.stderr and "Traceback" not in done.stderr
