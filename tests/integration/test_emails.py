"""The email API as a client sees it: sending (content, templates, attachments, addresses, header
injection, scheduling, limits), idempotency, listing, reading, cancelling and statistics, with the
rows PostgreSQL holds where "nothing half-written" matters."""

from __future__ import annotations

import base64
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from eccs.mail.emails.schemas import EmailPage
from tests.conftest import Database
from tests.integration.conftest import Account, error_of, fields_of

# --- helpers ------------------------------------------------------------------------------------


def accepted_id(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


COUNT_ROWS = {
    "emails": "SELECT count(*) FROM emails WHERE user_id = $1",
    "email_recipients": "SELECT count(*) FROM emails e JOIN email_recipients t"
    " ON t.email_id = e.id WHERE e.user_id = $1",
    "email_attachments": "SELECT count(*) FROM emails e JOIN email_attachments t"
    " ON t.email_id = e.id WHERE e.user_id = $1",
    "outbox": "SELECT count(*) FROM emails e JOIN outbox t ON t.email_id = e.id"
    " WHERE e.user_id = $1",
}


def rows(database: Database, table: str, account: Account) -> int:
    """How many rows of an email table belong to an account's emails."""
    return int(database.query(COUNT_ROWS[table], uuid.UUID(account.id))[0][0])


def row_counts(database: Database, account: Account) -> dict[str, int]:
    return {table: rows(database, table, account) for table in COUNT_ROWS}


def make_template(account: Account, **fields: Any) -> dict[str, Any]:
    body = {"name": f"t-{uuid.uuid4().hex[:8]}", "subject": "Hello", "text": "Hi", **fields}
    response = account.mail.post("/api/templates", json=body)
    assert response.status_code == 201, response.text
    template: dict[str, Any] = response.json()
    return template


def stored_email(database: Database, email_id: str) -> Any:
    return database.query("SELECT * FROM emails WHERE id = $1", uuid.UUID(email_id))[0]


def in_an_hour() -> datetime:
    return (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


NOTHING_WRITTEN = {"emails": 0, "email_recipients": 0, "email_attachments": 0, "outbox": 0}


# --- sending ------------------------------------------------------------------------------------


def test_send_answers_202_with_the_id_and_status(alice: Account) -> None:
    response = alice.send(to=["bob@example.test"], subject="Hi", text="Hello")

    assert response.status_code == 202, response.text
    body = response.json()
    assert uuid.UUID(body["id"])
    assert body["status"] == "queued"
    assert body["recipients"] == 1


def test_send_without_a_token_is_401(anonymous: dict[str, httpx.Client]) -> None:
    response = anonymous["mail"].post(
        "/api/emails/send", json={"to": ["a@example.test"], "subject": "x", "text": "y"}
    )

    error_of(response, 401)


def test_several_to_cc_and_bcc_are_stored_with_their_kinds(alice: Account) -> None:
    email_id = accepted_id(
        alice.send(
            to=["a@example.test", "b@example.test"],
            cc=["c@example.test", "d@example.test"],
            bcc=["e@example.test"],
        )
    )

    email = alice.mail.get(f"/api/emails/{email_id}").json()
    assert [(r["kind"], r["address"]) for r in email["recipients"]] == [
        ("to", "a@example.test"),
        ("to", "b@example.test"),
        ("cc", "c@example.test"),
        ("cc", "d@example.test"),
        ("bcc", "e@example.test"),
    ]


def test_text_and_html_are_both_kept(alice: Account) -> None:
    email_id = accepted_id(alice.send(text="plain", html="<p>rich</p>"))

    email = alice.mail.get(f"/api/emails/{email_id}").json()
    assert (email["text"], email["html"]) == ("plain", "<p>rich</p>")


def test_html_alone_is_enough(alice: Account) -> None:
    response = alice.mail.post(
        "/api/emails/send",
        json={"to": ["a@example.test"], "subject": "Hi", "html": "<p>only html</p>"},
    )

    email = alice.mail.get(f"/api/emails/{accepted_id(response)}").json()
    assert email["html"] == "<p>only html</p>"


def test_a_send_without_any_body_is_422_naming_text(alice: Account) -> None:
    response = alice.mail.post("/api/emails/send", json={"to": ["a@example.test"], "subject": "Hi"})

    assert fields_of(response) == ["text"]


def test_a_send_without_a_subject_or_template_is_422_naming_subject(alice: Account) -> None:
    response = alice.mail.post("/api/emails/send", json={"to": ["a@example.test"], "text": "x"})

    assert fields_of(response) == ["subject"]


def test_the_seed_aliases_are_accepted(alice: Account, database: Database) -> None:
    template = make_template(alice, subject="Hi {{name}}", text="Hello {{name}}")
    response = alice.mail.post(
        "/api/emails/send",
        json={
            "to": "single@example.test",
            "templateId": template["id"],
            "templateData": {"name": "Ann"},
        },
    )

    email = alice.mail.get(f"/api/emails/{accepted_id(response)}").json()
    assert [r["address"] for r in email["recipients"]] == ["single@example.test"]
    assert (email["subject"], email["text"]) == ("Hi Ann", "Hello Ann")
    assert email["template_id"] == template["id"]


def test_body_is_an_alias_of_text(alice: Account) -> None:
    response = alice.mail.post(
        "/api/emails/send", json={"to": "a@example.test", "subject": "Hi", "body": "old client"}
    )

    email = alice.mail.get(f"/api/emails/{accepted_id(response)}").json()
    assert email["text"] == "old client"


def test_template_data_is_escaped_in_html_only(alice: Account) -> None:
    template = make_template(
        alice, subject="For {{who}}", text="Dear {{who}}", html="<p>Dear {{who}}</p>"
    )
    who = '<Tom & "Jerry">'

    response = alice.send(
        subject=None, text=None, template_id=template["id"], template_data={"who": who}
    )

    email = alice.mail.get(f"/api/emails/{accepted_id(response)}").json()
    assert email["subject"] == f"For {who}"
    assert email["text"] == f"Dear {who}"
    assert email["html"] == "<p>Dear &lt;Tom &amp; &quot;Jerry&quot;&gt;</p>"


def test_text_is_derived_from_a_templates_html(alice: Account) -> None:
    template = make_template(alice, text=None, html="<h1>Hi {{name}}</h1><p>Welcome</p>")

    response = alice.send(text=None, template_id=template["id"], template_data={"name": "Ann"})

    email = alice.mail.get(f"/api/emails/{accepted_id(response)}").json()
    assert "Hi Ann" in email["text"] and "Welcome" in email["text"]
    assert "<" not in email["text"]


def test_missing_template_variables_are_422_naming_each_and_write_nothing(
    alice: Account, database: Database
) -> None:
    template = make_template(alice, subject="Hi {{name}}", text="{{greeting}}, {{name}}")

    response = alice.send(
        subject=None, text=None, template_id=template["id"], template_data={"other": 1}
    )

    assert fields_of(response) == ["template_data.greeting", "template_data.name"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_someone_elses_template_cannot_be_used(alice: Account, bob: Account) -> None:
    template = make_template(alice)

    response = bob.send(template_id=template["id"])

    assert fields_of(response) == ["template_id"]


def test_attachments_are_stored_with_their_bytes(alice: Account, database: Database) -> None:
    content = b"%PDF-1.4 pretend\x00\xff"
    attachment = {
        "filename": "report.pdf",
        "content_type": "application/pdf",
        "content_base64": b64(content),
    }

    email_id = accepted_id(alice.send(attachments=[attachment]))

    stored = database.query(
        "SELECT filename, content_type, size, content FROM email_attachments WHERE email_id = $1",
        uuid.UUID(email_id),
    )
    assert [tuple(row) for row in stored] == [
        ("report.pdf", "application/pdf", len(content), content)
    ]


def test_bad_base64_is_422_naming_the_attachment(alice: Account, database: Database) -> None:
    good = {"filename": "a.txt", "content_base64": b64(b"fine")}
    bad = {"filename": "b.txt", "content_base64": "not base64!!"}

    response = alice.send(attachments=[bad, good])

    assert fields_of(response) == ["attachments[0].content_base64"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_a_line_break_in_an_attachment_name_is_422(alice: Account) -> None:
    attachment = {"filename": "a.txt\r\nX-Evil: 1", "content_base64": b64(b"x")}

    response = alice.send(attachments=[attachment])

    assert fields_of(response) == ["attachments[0].filename"]


# Everything str.splitlines() splits on, then other control characters (C0, DEL, C1).
LINE_BREAKS = ["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
CONTROLS = ["\x00", "\x01", "\t", "\x1b", "\x7f", "\x9b"]


@pytest.mark.parametrize("character", LINE_BREAKS + CONTROLS)
def test_no_line_break_or_control_character_reaches_a_header(
    alice: Account, database: Database, character: str
) -> None:
    """Each value that ends up in a mail header is refused with a 422 naming it; before, some of
    these were accepted and stalled the worker, which could not build the message."""
    attachment = {"filename": f"a{character}b.txt", "content_base64": b64(b"x")}
    typed = {
        "content_type": f"text/plain{character}",
        "filename": "a.txt",
        "content_base64": "eA==",
    }

    assert fields_of(alice.send(subject=f"Hi{character}there")) == ["subject"]
    assert fields_of(alice.send(attachments=[attachment])) == ["attachments[0].filename"]
    assert fields_of(alice.send(attachments=[typed])) == ["attachments[0].content_type"]
    assert fields_of(alice.send(to=[f"a{character}b@example.test"])) == ["to[0]"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


@pytest.mark.parametrize("character", ["\u2028", "\x85", "\x0b"])
def test_a_line_break_from_a_template_variable_is_422_naming_subject(
    alice: Account, database: Database, character: str
) -> None:
    template = make_template(alice, subject="Hello {{name}}", text="Hi {{name}}")

    response = alice.send(
        subject=None, text=None, template_id=template["id"], template_data={"name": f"A{character}"}
    )

    assert fields_of(response) == ["subject"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def post_raw(account: Account, path: str, body: bytes) -> httpx.Response:
    """A JSON body as bytes, for what a JSON encoder would refuse to write (a lone surrogate)."""
    return account.mail.post(path, content=body, headers={"content-type": "application/json"})


def test_a_lone_surrogate_is_422_naming_where_it_is(alice: Account, database: Database) -> None:
    body = b'{"to": ["c@example.test"], "subject": "\\ud800", "text": "x"}'

    error = error_of(post_raw(alice, "/api/emails/send", body), 422)

    assert error["fields"][0]["field"] == "body"
    assert "subject" in error["fields"][0]["message"]
    assert "surrogate" in error["fields"][0]["message"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_a_lone_surrogate_in_preview_data_is_422(alice: Account) -> None:
    body = b'{"subject": "Hi {{name}}", "text": "x", "data": {"name": "\\udfff"}}'

    error = error_of(post_raw(alice, "/api/templates/preview", body), 422)

    assert "data.name" in error["fields"][0]["message"]


def test_a_surrogate_pair_is_an_ordinary_character(alice: Account) -> None:
    body = b'{"to": ["c@example.test"], "subject": "Hi \\ud83d\\ude00", "text": "x"}'

    email_id = accepted_id(post_raw(alice, "/api/emails/send", body))

    assert alice.mail.get(f"/api/emails/{email_id}").json()["subject"] == "Hi \U0001f600"


@pytest.mark.parametrize("path", ["/api/emails", "/api/contacts", "/api/templates"])
def test_a_nul_in_a_search_is_422_naming_q(alice: Account, path: str) -> None:
    assert fields_of(alice.mail.get(path, params={"q": "a\x00b"})) == ["q"]


@pytest.mark.parametrize("field", ["from", "replyTo", "header", "Subject"])
def test_a_field_send_does_not_take_is_422_naming_it(
    alice: Account, database: Database, field: str
) -> None:
    response = alice.send(**{field: "x@example.test"})

    assert fields_of(response) == [field]
    assert "not a field" in error_of(response, 422)["fields"][0]["message"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/templates", {"name": "n", "subject": "s", "text": "t", "owner": "me"}),
        ("/api/templates/preview", {"subject": "s", "text": "t", "extra": 1}),
        ("/api/contacts", {"email": "c@example.test", "phone": "1"}),
    ],
)
def test_every_request_body_refuses_unknown_fields(
    alice: Account, path: str, body: dict[str, Any]
) -> None:
    unknown = next(iter(set(body) - {"name", "subject", "text", "email"}))
    assert fields_of(alice.mail.post(path, json=body)) == [unknown]


def test_addresses_on_test_domains_are_accepted_and_kept_as_typed(alice: Account) -> None:
    email_id = accepted_id(alice.send(to=["Mixed.Case@Example.TEST", "x@deep.sub.example.test"]))

    email = alice.mail.get(f"/api/emails/{email_id}").json()
    assert [r["address"] for r in email["recipients"]] == [
        "Mixed.Case@Example.TEST",
        "x@deep.sub.example.test",
    ]


@pytest.mark.parametrize(
    ("field", "bad"),
    [("to", "not-an-address"), ("cc", "two@@example.test"), ("bcc", "a@b\r\nBcc: x@y.test")],
)
def test_an_invalid_address_is_422_naming_its_position(
    alice: Account, database: Database, field: str, bad: str
) -> None:
    body = {"to": ["ok@example.test"], field: ["ok2@example.test", bad]}
    if field == "to":
        body = {"to": ["ok@example.test", bad]}

    response = alice.send(**body)

    assert fields_of(response) == [f"{field}[1]"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_an_empty_to_is_422_naming_to(alice: Account) -> None:
    assert fields_of(alice.send(to=[])) == ["to"]


@pytest.mark.parametrize("subject", ["Hi\r\nBcc: victim@example.test", "Hi\nthere", "Hi\rthere"])
def test_a_line_break_in_the_subject_is_422(alice: Account, subject: str) -> None:
    assert fields_of(alice.send(subject=subject)) == ["subject"]


def test_a_line_break_injected_through_a_template_variable_is_422(
    alice: Account, database: Database
) -> None:
    template = make_template(alice, subject="Hello {{name}}", text="Hi {{name}}")

    response = alice.send(
        subject=None,
        text=None,
        template_id=template["id"],
        template_data={"name": "Ann\r\nBcc: victim@example.test"},
    )

    assert fields_of(response) == ["subject"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_a_line_break_in_a_template_variable_is_fine_in_bodies(alice: Account) -> None:
    template = make_template(alice, subject="Hello", text="Hi {{name}}")

    response = alice.send(
        subject=None, text=None, template_id=template["id"], template_data={"name": "A\r\nB"}
    )

    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("field", "value"),
    [("subject", "Hi\x00"), ("text", "a\x00b"), ("html", "<p>\x00</p>")],
)
def test_a_nul_character_is_422_naming_the_field(
    alice: Account, database: Database, field: str, value: str
) -> None:
    # PostgreSQL cannot store U+0000; it must be refused up front, never reach the database.
    assert fields_of(alice.send(**{field: value})) == [field]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_a_nul_character_in_template_data_is_422(alice: Account, database: Database) -> None:
    template = make_template(alice, subject="Hello", text="Hi {{name}}")

    response = alice.send(
        subject=None, text=None, template_id=template["id"], template_data={"name": "A\x00"}
    )

    assert fields_of(response) == ["template_data"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


# --- rows written together ----------------------------------------------------------------------


def test_the_email_its_recipients_and_one_outbox_row_are_written_together(
    alice: Account, database: Database
) -> None:
    before = datetime.now(UTC)
    email_id = accepted_id(alice.send(to=["a@example.test"], cc=["b@example.test"]))

    assert row_counts(database, alice) == {
        "emails": 1,
        "email_recipients": 2,
        "email_attachments": 0,
        "outbox": 1,
    }
    outbox = database.query("SELECT * FROM outbox WHERE email_id = $1", uuid.UUID(email_id))[0]
    # When the session has a broker, the relay may already have published it.
    assert outbox["published_at"] is None or outbox["published_at"] >= outbox["available_at"]
    assert before <= outbox["available_at"] <= datetime.now(UTC)
    assert outbox["key"] == email_id


def test_duplicate_addresses_are_one_recipient(alice: Account, database: Database) -> None:
    response = alice.send(to=["a@example.test"], cc=["A@example.test"], bcc=["a@example.test"])

    assert response.json()["recipients"] == 1
    assert rows(database, "email_recipients", alice) == 1


# --- scheduling ---------------------------------------------------------------------------------


def test_a_future_send_is_scheduled_and_its_outbox_row_waits_until_then(
    alice: Account, database: Database
) -> None:
    when = in_an_hour()

    response = alice.send(scheduled_at=when.isoformat())

    assert response.json()["status"] == "scheduled"
    outbox = database.query(
        "SELECT available_at FROM outbox WHERE email_id = $1", uuid.UUID(accepted_id(response))
    )
    assert [row["available_at"] for row in outbox] == [when]


def test_a_schedule_in_another_offset_is_the_same_instant(
    alice: Account, database: Database
) -> None:
    when = in_an_hour()
    plus_two = when.astimezone(timezone(timedelta(hours=2))).isoformat()

    email_id = accepted_id(alice.send(scheduled_at=plus_two))

    assert stored_email(database, email_id)["scheduled_at"] == when


def test_expires_before_scheduled_is_422_naming_expires_at(
    alice: Account, database: Database
) -> None:
    when = in_an_hour()

    response = alice.send(
        scheduled_at=when.isoformat(), expires_at=(when - timedelta(minutes=1)).isoformat()
    )

    assert fields_of(response) == ["expires_at"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_expires_in_the_past_is_422_naming_expires_at(alice: Account) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)

    assert fields_of(alice.send(expires_at=past.isoformat())) == ["expires_at"]


def test_a_schedule_more_than_30_days_ahead_is_422(alice: Account, database: Database) -> None:
    too_far = datetime.now(UTC) + timedelta(days=30, minutes=5)
    allowed = datetime.now(UTC) + timedelta(days=29, hours=23)

    assert fields_of(alice.send(scheduled_at=too_far.isoformat())) == ["scheduled_at"]
    assert row_counts(database, alice) == NOTHING_WRITTEN
    assert alice.send(scheduled_at=allowed.isoformat()).status_code == 202


@pytest.mark.parametrize("field", ["scheduled_at", "expires_at"])
@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-10:00", "0001-01-01T00:00:00+10:00"])
def test_a_time_with_no_utc_equivalent_is_422(alice: Account, field: str, moment: str) -> None:
    assert fields_of(alice.send(**{field: moment})) == [field]


def test_expires_after_scheduled_is_accepted(alice: Account, database: Database) -> None:
    when = in_an_hour()

    email_id = accepted_id(
        alice.send(scheduled_at=when.isoformat(), expires_at=(when + timedelta(days=1)).isoformat())
    )

    assert stored_email(database, email_id)["expires_at"] == when + timedelta(days=1)


@pytest.mark.parametrize("field", ["scheduled_at", "expires_at"])
def test_a_datetime_without_a_zone_is_422(alice: Account, field: str) -> None:
    naive = (datetime.now() + timedelta(hours=1)).replace(microsecond=0).isoformat()

    assert fields_of(alice.send(**{field: naive})) == [field]


# --- limits -------------------------------------------------------------------------------------


def test_ten_recipients_are_allowed(alice: Account) -> None:
    addresses = [f"r{i}@example.test" for i in range(10)]

    response = alice.send(to=addresses[:4], cc=addresses[4:8], bcc=addresses[8:])

    assert response.status_code == 202, response.text


def test_more_than_ten_recipients_across_to_cc_and_bcc_is_422_naming_to(
    alice: Account, database: Database
) -> None:
    addresses = [f"r{i}@example.test" for i in range(11)]

    response = alice.send(to=addresses[:4], cc=addresses[4:8], bcc=addresses[8:])

    assert fields_of(response) == ["to"]
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_the_recipient_count_is_refused_before_any_address_is_parsed(alice: Account) -> None:
    # 10,000 addresses (within the test service's body limit), one of them invalid: the
    # answer names the list, not the bad address, so none of them was parsed.
    addresses = [f"r{i}@x.test" for i in range(10_000)]
    addresses[5_000] = "not an address"

    assert fields_of(alice.send(to=addresses)) == ["to"]


def test_a_body_over_the_size_limit_is_413(alice: Account, database: Database) -> None:
    response = alice.send(text="x" * (257 * 1024))

    assert error_of(response, 413)["code"] == "payload_too_large"
    assert row_counts(database, alice) == NOTHING_WRITTEN


def test_a_body_just_under_the_size_limit_is_accepted(alice: Account) -> None:
    response = alice.send(text="x" * (250 * 1024))

    assert response.status_code == 202, response.text


def test_the_26th_send_within_the_hour_is_429_with_retry_after(
    alice: Account, bob: Account, database: Database
) -> None:
    for _ in range(25):
        accepted_id(alice.send())

    refused = alice.send()

    error = error_of(refused, 429)
    assert error["code"] == "send_quota_exceeded"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert row_counts(database, alice)["emails"] == 25
    assert row_counts(database, alice)["outbox"] == 25
    assert bob.send().status_code == 202  # the quota is per user


def test_concurrent_sends_of_one_user_are_each_written_whole_and_the_quota_holds(
    alice: Account, database: Database
) -> None:
    # Sends of one sender in flight together share a statement: each must still be its own
    # email, answered with what was stored, and the quota (25) must count every one of them.
    start = threading.Barrier(20)

    def one(n: int) -> httpx.Response:
        start.wait()
        return alice.send(to=[f"r{n}@example.test"], subject=f"n{n}", text=f"text {n}")

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(one, range(40)))

    accepted = {n: r.json() for n, r in enumerate(responses) if r.status_code == 202}
    refused = [r for r in responses if r.status_code != 202]
    assert len(accepted) == 25, [r.text for r in refused]
    assert all(error_of(r, 429)["code"] == "send_quota_exceeded" for r in refused)
    assert row_counts(database, alice)["emails"] == 25
    assert row_counts(database, alice)["outbox"] == 25
    for n, answer in accepted.items():
        stored = stored_email(database, answer["id"])
        assert (stored["subject"], stored["text_body"]) == (f"n{n}", f"text {n}")
        assert stored["to_addresses"] == [f"r{n}@example.test"]
        assert datetime.fromisoformat(answer["created_at"]) == stored["created_at"]


# --- idempotency --------------------------------------------------------------------------------


def send_with_key(account: Account, key: str, **body: Any) -> httpx.Response:
    body = {"to": ["a@example.test"], "subject": "Hello", "text": "Hi", **body}
    return account.mail.post("/api/emails/send", json=body, headers={"Idempotency-Key": key})


def test_the_same_key_and_body_replay_the_first_answer(alice: Account, database: Database) -> None:
    first = send_with_key(alice, "order-1")
    again = send_with_key(alice, "order-1")

    assert again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert row_counts(database, alice)["emails"] == 1
    assert row_counts(database, alice)["outbox"] == 1


def test_the_same_key_with_another_body_is_422(alice: Account, database: Database) -> None:
    accepted_id(send_with_key(alice, "order-2", subject="First"))

    response = send_with_key(alice, "order-2", subject="Second")

    assert error_of(response, 422)["code"] == "idempotency_key_reused"
    assert row_counts(database, alice)["emails"] == 1


def test_another_users_key_is_not_replayed(alice: Account, bob: Account) -> None:
    alices = send_with_key(alice, "shared-key")
    bobs = send_with_key(bob, "shared-key")

    assert accepted_id(bobs) != accepted_id(alices)
    assert "Idempotent-Replayed" not in bobs.headers
    assert bob.mail.get(f"/api/emails/{accepted_id(bobs)}").status_code == 200
    assert bob.mail.get(f"/api/emails/{accepted_id(alices)}").status_code == 404


def test_a_refused_send_does_not_use_up_its_key(alice: Account) -> None:
    template = make_template(alice, subject="Hi {{name}}")
    refused = send_with_key(alice, "order-3", template_id=template["id"], subject=None)
    fixed = send_with_key(
        alice, "order-3", template_id=template["id"], subject=None, template_data={"name": "A"}
    )

    assert fields_of(refused) == ["template_data.name"]
    assert fixed.status_code == 202, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers


def test_concurrent_duplicates_create_exactly_one_email(alice: Account, database: Database) -> None:
    start = threading.Barrier(5)

    def one(_: int) -> httpx.Response:
        start.wait()
        return send_with_key(alice, "burst")

    with ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(one, range(5)))

    assert row_counts(database, alice)["emails"] == 1
    created = [r for r in responses if r.status_code == 202]
    assert created, [r.text for r in responses]
    assert {r.json()["id"] for r in created} == {created[0].json()["id"]}
    for response in responses:
        if response.status_code == 409:
            assert error_of(response, 409)["code"] == "idempotency_in_progress"
            assert int(response.headers["Retry-After"]) >= 1
        else:
            assert response.status_code == 202, response.text


# --- listing ------------------------------------------------------------------------------------


def list_emails(account: Account, **params: Any) -> dict[str, Any]:
    response = account.mail.get("/api/emails", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def test_the_list_is_newest_first_and_paged(alice: Account) -> None:
    ids = [accepted_id(alice.send(subject=f"n{i}")) for i in range(5)]

    first = list_emails(alice, page=1, page_size=2)
    third = list_emails(alice, page=3, page_size=2)

    assert [item["id"] for item in first["items"]] == [ids[4], ids[3]]
    assert [item["id"] for item in third["items"]] == [ids[0]]
    assert (first["total"], first["page"], first["page_size"]) == (5, 1, 2)


def test_list_items_summarise_each_email(alice: Account) -> None:
    accepted_id(alice.send(to=["a@example.test"], cc=["c@example.test"], subject="Summary"))

    [item] = list_emails(alice)["items"]

    assert item["subject"] == "Summary"
    assert item["status"] == "queued"
    assert item["to"] == ["a@example.test"]
    assert item["recipients"] == 2


def test_the_list_answers_exactly_what_its_documented_model_writes(
    alice: Account, database: Database
) -> None:
    """The page is written straight from the database's rows: field for field and byte for
    byte, it is what `EmailPage` (the API document's shape) would write."""
    accepted_id(alice.send(to=["a@example.test"], cc=["c@example.test"], subject="Cc'd"))
    accepted_id(alice.send(scheduled_at=in_an_hour().isoformat(), subject="Later"))
    sent = accepted_id(alice.send(subject="Done"))
    # A time on the second is written without its (zero) microseconds.
    database.query(
        "UPDATE emails SET status = 'sent', sent_at = date_trunc('second', now()) WHERE id = $1",
        uuid.UUID(sent),
    )

    response = alice.mail.get("/api/emails")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    rewritten = EmailPage.model_validate_json(response.content).model_dump_json()
    assert response.content == rewritten.encode()


@pytest.mark.parametrize("page_size", [0, 101])
def test_a_page_size_out_of_range_is_422(alice: Account, page_size: int) -> None:
    response = alice.mail.get("/api/emails", params={"page_size": page_size})

    assert fields_of(response) == ["page_size"]


def test_a_page_size_of_100_is_allowed(alice: Account) -> None:
    assert list_emails(alice, page_size=100)["page_size"] == 100


def test_the_list_filters_by_status(alice: Account) -> None:
    scheduled = accepted_id(alice.send(scheduled_at=in_an_hour().isoformat()))
    accepted_id(alice.send())

    page = list_emails(alice, status="scheduled")

    assert [item["id"] for item in page["items"]] == [scheduled]
    assert page["total"] == 1


def test_the_status_filter_may_be_given_several_times(alice: Account, database: Database) -> None:
    scheduled = accepted_id(alice.send(scheduled_at=in_an_hour().isoformat()))
    failed = accepted_id(alice.send(scheduled_at=in_an_hour().isoformat()))
    database.query("UPDATE emails SET status = 'failed' WHERE id = $1", uuid.UUID(failed))
    accepted_id(alice.send(scheduled_at=in_an_hour().isoformat(), subject="other"))
    database.query(
        "UPDATE emails SET status = 'sent' WHERE user_id = $1 AND subject = 'other'",
        uuid.UUID(alice.id),
    )

    page = alice.mail.get("/api/emails", params=[("status", "scheduled"), ("status", "failed")])

    assert page.status_code == 200, page.text
    assert sorted(item["id"] for item in page.json()["items"]) == sorted([scheduled, failed])
    assert page.json()["total"] == 2


def test_an_unknown_status_filter_is_422(alice: Account) -> None:
    assert fields_of(alice.mail.get("/api/emails", params={"status": "lost"})) == ["status[0]"]


def test_q_searches_subjects_and_all_recipient_addresses(alice: Account) -> None:
    by_subject = accepted_id(alice.send(subject="Quarterly invoice"))
    by_cc = accepted_id(alice.send(cc=["billing@invoice-corp.test"]))
    accepted_id(alice.send(subject="Lunch?"))

    page = list_emails(alice, q="INVOICE")

    assert {item["id"] for item in page["items"]} == {by_subject, by_cc}


def test_q_treats_wildcards_literally(alice: Account) -> None:
    accepted_id(alice.send(subject="anything"))
    percent = accepted_id(alice.send(subject="100% done"))

    assert [item["id"] for item in list_emails(alice, q="%")["items"]] == [percent]
    assert list_emails(alice, q="_")["items"] == []


def test_another_users_emails_are_never_listed(alice: Account, bob: Account) -> None:
    accepted_id(alice.send(subject="private"))

    assert list_emails(bob) == {"items": [], "total": 0, "page": 1, "page_size": 20}
    assert list_emails(bob, q="private")["total"] == 0


# --- reading ------------------------------------------------------------------------------------


def test_an_email_reads_back_with_recipients_attachments_and_timeline(alice: Account) -> None:
    attachment = {"filename": "a.txt", "content_type": "text/plain", "content_base64": b64(b"abc")}
    email_id = accepted_id(alice.send(to=["a@example.test"], attachments=[attachment]))

    email = alice.mail.get(f"/api/emails/{email_id}").json()

    assert email["id"] == email_id
    assert email["status"] == "queued"
    [recipient] = email["recipients"]
    assert recipient["address"] == "a@example.test"
    assert (recipient["status"], recipient["attempts"], recipient["smtp_code"]) == (
        "pending",
        0,
        None,
    )
    assert email["attachments"] == [{"filename": "a.txt", "content_type": "text/plain", "size": 3}]
    assert isinstance(email["timeline"], list)
    assert "content_base64" not in str(email)


def test_someone_elses_email_is_404(alice: Account, bob: Account) -> None:
    email_id = accepted_id(alice.send())

    assert error_of(bob.mail.get(f"/api/emails/{email_id}"), 404)["code"] == "email_not_found"


def test_an_unknown_email_is_404(alice: Account) -> None:
    error_of(alice.mail.get(f"/api/emails/{uuid.uuid4()}"), 404)


def test_a_malformed_email_id_is_422(alice: Account) -> None:
    assert fields_of(alice.mail.get("/api/emails/not-a-uuid")) == ["email_id"]


# --- cancelling ---------------------------------------------------------------------------------


def cancel(account: Account, email_id: str) -> httpx.Response:
    return account.mail.post(f"/api/emails/{email_id}/cancel")


def test_cancelling_a_scheduled_email_drops_its_outbox_row(
    alice: Account, database: Database
) -> None:
    email_id = accepted_id(alice.send(scheduled_at=in_an_hour().isoformat()))

    response = cancel(alice, email_id)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert stored_email(database, email_id)["status"] == "cancelled"
    assert rows(database, "outbox", alice) == 0


def test_cancelling_twice_is_409(alice: Account) -> None:
    email_id = accepted_id(alice.send(scheduled_at=in_an_hour().isoformat()))
    cancel(alice, email_id)

    assert error_of(cancel(alice, email_id), 409)["code"] == "wrong_state"


def test_cancelling_a_queued_email_is_409_and_changes_nothing(
    alice: Account, database: Database
) -> None:
    email_id = accepted_id(alice.send())

    error = error_of(cancel(alice, email_id), 409)

    assert error["code"] == "wrong_state"
    assert stored_email(database, email_id)["status"] == "queued"
    assert rows(database, "outbox", alice) == 1


def test_someone_elses_email_cannot_be_cancelled(
    alice: Account, bob: Account, database: Database
) -> None:
    email_id = accepted_id(alice.send(scheduled_at=in_an_hour().isoformat()))

    error_of(cancel(bob, email_id), 404)

    assert stored_email(database, email_id)["status"] == "scheduled"
    assert rows(database, "outbox", alice) == 1


def test_cancelling_an_unknown_or_malformed_id(alice: Account) -> None:
    error_of(cancel(alice, str(uuid.uuid4())), 404)
    assert fields_of(cancel(alice, "nope")) == ["email_id"]


# --- statistics ---------------------------------------------------------------------------------


def mark(database: Database, email_id: str, status: str, at: datetime) -> None:
    sent_at = at if status == "sent" else None
    database.query(
        "UPDATE emails SET status = $2, sent_at = $3, updated_at = $4 WHERE id = $1",
        uuid.UUID(email_id),
        status,
        sent_at,
        at,
    )


def starts(points: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(point["start"]) for point in points]


def point_at(points: list[dict[str, Any]], start: datetime) -> dict[str, Any]:
    [point] = [p for p in points if datetime.fromisoformat(p["start"]) == start]
    return point


def test_stats_count_by_status_and_sent_today(alice: Account, database: Database) -> None:
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ids = [accepted_id(alice.send()) for _ in range(5)]
    mark(database, ids[0], "sent", now)
    mark(database, ids[1], "sent", midnight - timedelta(minutes=1))  # yesterday, UTC
    mark(database, ids[2], "failed", now)
    accepted_id(alice.send(scheduled_at=in_an_hour().isoformat()))

    stats = alice.mail.get("/api/emails/stats").json()

    assert {k: v for k, v in stats["by_status"].items() if v} == {
        "sent": 2,
        "failed": 1,
        "queued": 2,
        "scheduled": 1,
    }
    assert stats["total"] == 6
    assert stats["sent_today"] == 1


def test_stats_series_are_24_hours_and_30_days_in_utc(alice: Account) -> None:
    stats = alice.mail.get("/api/emails/stats").json()
    now = datetime.now(UTC)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    today = this_hour.replace(hour=0)

    hourly, daily = starts(stats["hourly"]), starts(stats["daily"])

    assert hourly == [this_hour - timedelta(hours=23 - i) for i in range(24)]
    assert daily == [today - timedelta(days=29 - i) for i in range(30)]
    assert all(start.utcoffset() == timedelta(0) for start in hourly + daily)
    assert all(p["sent"] == 0 and p["failed"] == 0 for p in stats["hourly"] + stats["daily"])


def test_stats_series_count_sent_and_failed_in_their_buckets(
    alice: Account, database: Database
) -> None:
    now = datetime.now(UTC)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    three_hours_ago = this_hour - timedelta(hours=3)
    ten_days_ago = (now - timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    ids = [accepted_id(alice.send()) for _ in range(4)]
    mark(database, ids[0], "sent", now)
    mark(database, ids[1], "sent", three_hours_ago + timedelta(minutes=5))
    mark(database, ids[2], "failed", three_hours_ago + timedelta(minutes=50))
    mark(database, ids[3], "sent", ten_days_ago)

    stats = alice.mail.get("/api/emails/stats").json()

    assert point_at(stats["hourly"], this_hour)["sent"] == 1
    earlier = point_at(stats["hourly"], three_hours_ago)
    assert (earlier["sent"], earlier["failed"]) == (1, 1)
    assert point_at(stats["daily"], ten_days_ago.replace(hour=0))["sent"] == 1
    assert sum(p["sent"] for p in stats["hourly"]) == 2
    assert sum(p["sent"] for p in stats["daily"]) == 3


def test_stats_count_only_your_own_emails(alice: Account, bob: Account) -> None:
    accepted_id(alice.send())

    stats = bob.mail.get("/api/emails/stats").json()

    assert stats["total"] == 0
    every_status = ["scheduled", "queued", "sending", "retrying", "sent", "failed", "cancelled"]
    assert stats["by_status"] == dict.fromkeys(every_status, 0)
