"""A person's data as a whole: downloaded as JSON, erased with the account (emails not yet
delivered cancelled, the audit trail anonymised); and the emails ECCS sends about accounts, as
operators see them."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Database
from tests.integration.conftest import PASSWORD, Account, error_of, fields_of
from tests.waiting import wait_until

ATTACHMENT = {
    "filename": "notes.txt",
    "content_type": "text/plain",
    "content_base64": base64.b64encode(b"some notes").decode(),
}


def accepted_id(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def rows(database: Database, table: str, user_id: str) -> int:
    counted = database.query(f"SELECT count(*) FROM {table} WHERE user_id = $1", uuid.UUID(user_id))  # noqa: S608
    return int(counted[0][0])


def record_trail(database: Database, email_id: str, recipient: str) -> None:
    """What a worker leaves in the audit trail (PostgreSQL's store here) after an attempt."""
    database.query(
        "INSERT INTO audit_events (email_id, attempt, outcome, at, recipient, smtp_code,"
        " smtp_reply) VALUES ($1, 1, 'accepted', $2, $3, 250, $4)",
        uuid.UUID(email_id),
        datetime.now(UTC),
        recipient,
        f"2.0.0 Ok: queued for {recipient}",
    )


def trail(database: Database, email_id: str) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in database.query(
            "SELECT outcome, smtp_code, recipient, smtp_reply FROM audit_events"
            " WHERE email_id = $1",
            uuid.UUID(email_id),
        )
    ]


# --- export --------------------------------------------------------------------------------------


def test_the_export_holds_everything_about_the_account(alice: Account, bob: Account) -> None:
    alice.auth.post("/api/auth/keys", json={"name": "ci", "scopes": ["emails:send"]})
    alice.mail.post("/api/templates", json={"name": "Hi", "subject": "Hi", "text": "Hello"})
    alice.mail.post("/api/contacts", json={"email": "cy@example.test", "name": "Cy"})
    alice.mail.post("/api/suppressions", json={"address": "gone@example.test"})
    hook = {"url": "https://hooks.example.test/eccs", "events": ["email.sent"]}
    assert alice.mail.post("/api/webhooks", json=hook).status_code == 201
    sent = [
        accepted_id(alice.send(to=["ann@example.test"], cc=["cy@example.test"])),
        accepted_id(alice.send(subject="With a file", attachments=[ATTACHMENT])),
    ]
    bob.send()

    response = alice.mail.get("/api/account/export")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith('attachment; filename="eccs-export-')
    data = response.json()
    assert data["profile"] == {
        "id": alice.id,
        "email": alice.email,
        "name": "Alice",
        "role": "user",
        "email_verified": True,
        "created_at": data["profile"]["created_at"],
    }
    [key] = data["api_keys"]
    assert key["name"] == "ci" and "key" not in key and key["prefix"].startswith("eccs_")
    assert [template["name"] for template in data["templates"]] == ["Hi"]
    assert [contact["email"] for contact in data["contacts"]] == ["cy@example.test"]
    assert [s["address"] for s in data["suppressions"]] == ["gone@example.test"]
    [endpoint] = data["webhook_endpoints"]
    assert endpoint["url"] == hook["url"] and "secret" not in endpoint
    assert [email["id"] for email in data["emails"]] == sent  # oldest first, Bob's not there
    first, second = data["emails"]
    assert [(r["address"], r["kind"], r["status"]) for r in first["recipients"]] == [
        ("ann@example.test", "to", "pending"),
        ("cy@example.test", "cc", "pending"),
    ]
    assert second["attachments"] == [
        {"filename": "notes.txt", "content_type": "text/plain", "size": 10}
    ]


def test_the_export_of_many_emails_comes_whole(alice: Account, database: Database) -> None:
    sent = [accepted_id(alice.send(subject=f"Number {n}")) for n in range(3)]
    # More than one page of the export, written straight into the table.
    [template] = database.query(
        "SELECT sender_name, sender_email, status, created_at FROM emails WHERE id = $1",
        uuid.UUID(sent[0]),
    )
    for n in range(450):
        database.query(
            "INSERT INTO emails (id, user_id, sender_name, sender_email, subject, status,"
            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            uuid.uuid4(),
            uuid.UUID(alice.id),
            template["sender_name"],
            template["sender_email"],
            f"Old {n}",
            "sent",
            template["created_at"],
        )

    emails = alice.mail.get("/api/account/export").json()["emails"]

    assert len(emails) == 453
    assert len({email["id"] for email in emails}) == 453


# --- deletion ------------------------------------------------------------------------------------


def test_deleting_needs_the_password(alice: Account) -> None:
    wrong = alice.auth.request("DELETE", "/api/auth/me", json={"password": "not my password"})
    assert error_of(wrong, 422)["code"] == "wrong_password"
    assert fields_of(wrong) == ["password"]
    assert alice.auth.get("/api/auth/me").status_code == 200


def test_a_deleted_account_is_gone_at_once_and_its_data_soon_after(
    alice: Account, bob: Account, auth_url: str, database: Database
) -> None:
    key = alice.auth.post("/api/auth/keys", json={"name": "ci", "scopes": ["emails:read"]}).json()
    alice.mail.post("/api/templates", json={"name": "Hi", "subject": "Hi", "text": "Hello"})
    alice.mail.post("/api/contacts", json={"email": "cy@example.test"})
    alice.mail.post("/api/suppressions", json={"address": "gone@example.test"})
    hook = {"url": "https://hooks.example.test/eccs", "events": ["email.sent"]}
    alice.mail.post("/api/webhooks", json=hook)
    alice.mail.post(
        "/api/emails/batch", json=[{"to": ["b@example.test"], "subject": "B", "text": "B"}]
    )
    delivered = accepted_id(alice.send(to=["ann@example.test"]))
    record_trail(database, delivered, "ann@example.test")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = accepted_id(alice.send(scheduled_at=tomorrow))
    kept = accepted_id(bob.send(to=["ann@example.test"]))
    record_trail(database, kept, "ann@example.test")

    deleted = alice.auth.request("DELETE", "/api/auth/me", json={"password": PASSWORD})

    assert deleted.status_code == 204, deleted.text
    login = httpx.post(
        f"{auth_url}/api/auth/login", json={"email": alice.email, "password": PASSWORD}
    )
    assert login.status_code == 401
    assert alice.auth.get("/api/auth/me").status_code == 401
    # Its access token: refused by email-service as the deletion's announcement arrives, within
    # milliseconds (later only on a machine too busy to read it at once).
    wait_until(
        lambda: alice.mail.get("/api/emails").status_code == 401,
        "email-service hearing of the deletion",
        timeout=2,
    )
    with httpx.Client(base_url=alice.mail.base_url, timeout=10) as program:
        refused = program.get("/api/emails", headers={"Authorization": f"Bearer {key['key']}"})
        assert refused.status_code == 401

    def erased() -> bool:
        return all(
            rows(database, table, alice.id) == 0
            for table in (
                "emails",
                "templates",
                "contacts",
                "email_counts",
                "send_counts",
                "suppressions",
                "webhook_endpoints",
                "email_batches",
            )
        )

    wait_until(erased, "the account's data erased", timeout=30)
    assert (
        database.query(
            "SELECT 1 FROM outbox WHERE email_id = ANY($1::uuid[])",
            [uuid.UUID(delivered), uuid.UUID(later)],
        )
        == []
    )  # the scheduled email will never go out
    assert trail(database, delivered) == [
        {"outcome": "accepted", "smtp_code": 250, "recipient": None, "smtp_reply": None}
    ]
    assert trail(database, kept)[0]["recipient"] == "ann@example.test"
    assert bob.mail.get(f"/api/emails/{kept}").status_code == 200


def test_a_delivery_in_progress_at_deletion_leaves_no_trace_of_who(
    alice: Account, database: Database
) -> None:
    """A worker in the middle of an attempt writes its audit events when the attempt ends,
    after the data was erased: they are anonymised once the attempt can no longer be running
    (the suite's visibility timeout: 10 s)."""
    email_id = accepted_id(alice.send(to=["ann@example.test"]))
    database.query("UPDATE emails SET status = 'sending' WHERE id = $1", uuid.UUID(email_id))
    alice.auth.request("DELETE", "/api/auth/me", json={"password": PASSWORD})
    wait_until(lambda: rows(database, "emails", alice.id) == 0, "the emails erased")

    record_trail(database, email_id, "ann@example.test")  # the attempt ends

    wait_until(
        lambda: trail(database, email_id)[0]["recipient"] is None,
        "the late audit events anonymised",
        timeout=40,
    )
    wait_until(
        lambda: database.query("SELECT 1 FROM account_erasures") == [],
        "the erasure finished",
        timeout=40,
    )


# --- the emails ECCS sends about accounts --------------------------------------------------------


def test_operators_see_the_account_emails_and_their_timelines(
    admin: Account, alice: Account
) -> None:
    listed = admin.mail.get("/api/admin/account-emails", params={"q": alice.email})
    assert listed.status_code == 200, listed.text
    [verification] = listed.json()["items"]
    assert verification["subject"] == "Confirm your email address for ECCS"
    assert verification["to"] == [alice.email]

    email = admin.mail.get(f"/api/admin/emails/{verification['id']}").json()
    assert email["status"] == "queued" and email["api_key"] is None
    assert email["timeline"][0]["detail"] == "by ECCS, about an account"
    assert "/verify-email?token=" in email["text"]
    # Nobody's own list shows them.
    assert alice.mail.get("/api/emails").json()["total"] == 0
    assert error_of(alice.mail.get("/api/admin/account-emails"), 403)["code"] == "forbidden"
