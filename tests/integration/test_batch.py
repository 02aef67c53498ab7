"""POST /api/emails/batch against the running email-service: each email checked on its own and the
valid ones accepted, one result per email, each counted against the quota, idempotency keys for
the whole batch, the batch views. (What a batch costs per email against single sends is
measured in bench/, case batch-16.)"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_LIMITS, Database
from tests.integration.conftest import Account, error_of, fields_of

QUOTA = int(TEST_LIMITS["SEND_QUOTA_PER_HOUR"])


def email(n: int, **fields: Any) -> dict[str, Any]:
    return {"to": [f"batch-{n}@example.test"], "subject": f"Batch {n}", "text": "Hi", **fields}


def send_batch(account: Account, items: list[Any], key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return account.mail.post("/api/emails/batch", json=items, headers=headers)


def emails_of(account: Account, batch_id: str) -> list[dict[str, Any]]:
    page = account.mail.get("/api/emails", params={"batch_id": batch_id, "page_size": 100})
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def test_the_valid_emails_are_accepted_and_each_gets_its_result(alice: Account) -> None:
    template = alice.mail.post(
        "/api/templates", json={"name": "hello", "subject": "Hi {{name}}", "text": "Hello"}
    ).json()

    response = send_batch(
        alice,
        [
            email(0),
            {"to": ["not-an-address"], "subject": "Bad", "text": "x"},
            "not an email",
            {
                "to": ["t@example.test"],
                "template_id": template["id"],
                "template_data": {"name": "Jo"},
            },
            {"to": ["t@example.test"], "template_id": str(uuid.uuid4())},
        ],
    )

    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (2, 3)
    results = answer["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert results[0]["email"]["status"] == "queued" and results[0]["error"] is None
    assert [f["field"] for f in results[1]["error"]["fields"]] == ["[1].to[0]"]
    assert [f["field"] for f in results[2]["error"]["fields"]] == ["[2]"]
    assert [f["field"] for f in results[4]["error"]["fields"]] == ["[4].template_id"]
    listed = {e["id"]: e for e in emails_of(alice, answer["batch_id"])}
    assert set(listed) == {results[0]["email"]["id"], results[3]["email"]["id"]}
    assert listed[results[3]["email"]["id"]]["subject"] == "Hi Jo"
    assert all(e["batch_id"] == answer["batch_id"] for e in listed.values())


def test_each_email_counts_against_the_quota_in_the_order_given(alice: Account) -> None:
    response = send_batch(alice, [email(n) for n in range(QUOTA + 5)])

    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert [r["email"] is not None for r in results] == [True] * QUOTA + [False] * 5
    assert {r["error"]["code"] for r in results[QUOTA:]} == {"send_quota_exceeded"}
    full = send_batch(alice, [email(99)])
    assert error_of(full, 429)["code"] == "send_quota_exceeded"
    assert int(full.headers["Retry-After"]) >= 1
    assert error_of(alice.send(), 429)


def test_a_batch_with_nothing_valid_is_422_naming_every_problem(
    alice: Account, database: Database
) -> None:
    response = send_batch(alice, [{"to": ["a@example.test"]}, {"subject": "No one", "text": "x"}])

    assert error_of(response, 422)["code"] == "batch_refused"
    assert fields_of(response) == ["[0].subject", "[1].to"]
    assert emails_of(alice, str(uuid.uuid4())) == []
    [count] = database.query("SELECT count(*) FROM emails WHERE user_id = $1", uuid.UUID(alice.id))
    assert count["count"] == 0


@pytest.mark.parametrize(
    "body",
    [pytest.param([], id="empty"), pytest.param({"emails": []}, id="object"),
     pytest.param([email(n) for n in range(101)], id="over-100")],
)  # fmt: skip
def test_a_body_that_is_no_batch_is_422(alice: Account, body: Any) -> None:
    assert fields_of(alice.mail.post("/api/emails/batch", json=body)) == ["body"]


def test_an_idempotency_key_replays_the_whole_batch(alice: Account, database: Database) -> None:
    items = [email(1), email(2)]

    first = send_batch(alice, items, key="batch-1")
    again = send_batch(alice, items, key="batch-1")
    other_body = send_batch(alice, [email(3)], key="batch-1")

    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert error_of(other_body, 422)["code"] == "idempotency_key_reused"
    [count] = database.query("SELECT count(*) FROM emails WHERE user_id = $1", uuid.UUID(alice.id))
    assert count["count"] == 2
    assert alice.send(headers={}).status_code == 202  # the send's keys are another endpoint's


def test_the_batch_views_show_each_result_and_the_emails_states(
    alice: Account, bob: Account, database: Database
) -> None:
    answer = send_batch(alice, [email(1), {"to": ["x"]}, email(2)]).json()
    first_id = answer["results"][0]["email"]["id"]
    database.query("UPDATE emails SET status = 'sent' WHERE id = $1", uuid.UUID(first_id))

    batches = alice.mail.get("/api/emails/batches").json()
    batch = alice.mail.get(f"/api/emails/batches/{answer['batch_id']}").json()

    assert [(b["size"], b["accepted"], b["rejected"]) for b in batches["items"]] == [(3, 2, 1)]
    assert batch["results"] == answer["results"]
    assert {k: v for k, v in batch["by_status"].items() if v} == {"sent": 1, "queued": 1}
    hidden = bob.mail.get(f"/api/emails/batches/{answer['batch_id']}")
    assert error_of(hidden, 404)["code"] == "batch_not_found"
