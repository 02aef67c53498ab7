"""An owner's retry of a failed email and the cancelling of a retrying one, as the owner sees
them and as the rows in PostgreSQL record them (the delivery worker's states are set directly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from eccs.contracts.topics import ATTEMPT_HEADER
from tests.conftest import Database
from tests.integration.conftest import (
    ABANDONED,
    REFUSED,
    Account,
    delivery_requests,
    error_of,
    fields_of,
    mark_failed,
)
from tests.integration.test_emails import accepted_id, in_an_hour, stored_email


def retry(account: Account, email_id: str, **headers: str) -> httpx.Response:
    return account.mail.post(f"/api/emails/{email_id}/retry", headers=headers)


def cancel(account: Account, email_id: str) -> httpx.Response:
    return account.mail.post(f"/api/emails/{email_id}/cancel")


def failed_email(
    account: Account, database: Database, reason: str = "exhausted", **fields: Any
) -> str:
    email_id = accepted_id(account.send(to=["ann@example.test", "bob@example.test"], **fields))
    mark_failed(database, email_id, reason, attempts=4)
    return email_id


def recipients_of(database: Database, email_id: str) -> dict[str, tuple[str, int, str]]:
    found = database.query(
        "SELECT address, status, smtp_code, smtp_reply FROM email_recipients WHERE email_id = $1",
        uuid.UUID(email_id),
    )
    return {row["address"]: (row["status"], row["smtp_code"], row["smtp_reply"]) for row in found}


def mark_retrying(database: Database, email_id: str) -> None:
    """As the worker leaves an email after a temporary failure: its first request published and
    the next one waiting in the outbox until its backoff is over."""
    key = uuid.UUID(email_id)
    # The request first (see mark_failed), then the state.
    database.query("UPDATE outbox SET published_at = now() WHERE email_id = $1", key)
    database.query("UPDATE emails SET status = 'retrying', attempts = 1 WHERE id = $1", key)
    database.query(
        "INSERT INTO outbox (email_id, topic, key, payload, headers, available_at)"
        " VALUES ($1, 'eccs.email.requested', $2, $3, $4, now() + interval '30 seconds')",
        key,
        email_id,
        json.dumps({"schema_version": 1, "email_id": email_id, "reason": "retry"}),
        json.dumps({ATTEMPT_HEADER: "2"}),
    )


def outbox_rows(database: Database, email_id: str, published: bool | None = None) -> int:
    found = database.query(
        "SELECT count(*) FROM outbox WHERE email_id = $1"
        " AND ($2::boolean IS NULL OR (published_at IS NOT NULL) = $2)",
        uuid.UUID(email_id),
        published,
    )
    return int(found[0][0])


def owner_retries(database: Database, email_id: str) -> list[dict[str, Any]]:
    return delivery_requests(database, email_id, "owner_retry")


# --- retrying -----------------------------------------------------------------------------------


def test_retrying_a_failed_email_queues_it_with_a_fresh_attempt_budget(
    alice: Account, database: Database
) -> None:
    email_id = failed_email(alice, database)
    before = datetime.now(UTC)

    response = retry(alice, email_id)

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    stored = stored_email(database, email_id)
    assert stored["status"] == "queued"
    assert (stored["attempts"], stored["attempt_base"]) == (4, 4)
    assert (stored["failure_reason"], stored["failed_at"], stored["last_error"]) == (None,) * 3
    assert stored["updated_at"] >= before


def test_a_retry_asks_for_exactly_one_delivery_attempt_numbered_after_the_last(
    alice: Account, database: Database
) -> None:
    email_id = failed_email(alice, database)
    before = datetime.now(UTC)

    retry(alice, email_id)

    [request] = owner_retries(database, email_id)
    assert request["headers"][ATTEMPT_HEADER] == "5"
    assert request["payload"]["email_id"] == email_id
    assert before - timedelta(seconds=1) <= request["available_at"] <= datetime.now(UTC)


def test_the_answer_is_the_email_as_reading_it_shows(alice: Account, database: Database) -> None:
    email_id = failed_email(alice, database)

    retried = retry(alice, email_id).json()

    assert retried == alice.mail.get(f"/api/emails/{email_id}").json()
    assert [r["status"] for r in retried["recipients"]] == ["pending", "pending"]
    assert retried["last_error"] is None


def test_only_recipients_given_up_on_are_tried_again_never_refused_or_accepted_ones(
    alice: Account, database: Database
) -> None:
    email_id = accepted_id(
        alice.send(to=["ann@example.test", "bob@example.test", "cy@example.test"])
    )
    accepted = ("accepted", 250, "2.0.0 Ok: queued")
    answers = {"ann@example.test": REFUSED, "bob@example.test": ABANDONED}
    mark_failed(database, email_id, "exhausted", answers={**answers, "cy@example.test": accepted})

    retry(alice, email_id)

    # Pending again, with the last answer kept for the record; a refusal (5xx) is final.
    assert recipients_of(database, email_id) == {
        "ann@example.test": REFUSED,
        "bob@example.test": ("pending", *ABANDONED[1:]),
        "cy@example.test": accepted,
    }


def test_a_retry_clears_an_expiry_that_has_passed(alice: Account, database: Database) -> None:
    email_id = failed_email(alice, database, "expired")
    database.query(
        "UPDATE emails SET expires_at = now() - interval '1 minute' WHERE id = $1",
        uuid.UUID(email_id),
    )

    retry(alice, email_id)

    assert stored_email(database, email_id)["expires_at"] is None


def test_a_retry_keeps_an_expiry_still_ahead(alice: Account, database: Database) -> None:
    expires_at = in_an_hour()
    email_id = failed_email(alice, database, expires_at=expires_at.isoformat())

    retry(alice, email_id)

    assert stored_email(database, email_id)["expires_at"] == expires_at


@pytest.mark.parametrize("state", ["queued", "sending", "retrying", "sent", "cancelled"])
def test_only_a_failed_email_can_be_retried(alice: Account, database: Database, state: str) -> None:
    email_id = accepted_id(alice.send())
    database.query("UPDATE emails SET status = $2 WHERE id = $1", uuid.UUID(email_id), state)

    error = error_of(retry(alice, email_id), 409)

    assert error["code"] == "wrong_state"
    assert state in error["message"]
    assert stored_email(database, email_id)["status"] == state
    assert outbox_rows(database, email_id) == 1


def test_an_email_every_recipient_refused_cannot_be_retried(
    alice: Account, database: Database
) -> None:
    email_id = failed_email(alice, database, "refused")

    error = error_of(retry(alice, email_id), 409)

    assert error["code"] == "nothing_to_retry"
    assert stored_email(database, email_id)["status"] == "failed"
    assert owner_retries(database, email_id) == []


def test_retrying_twice_queues_once(alice: Account, database: Database) -> None:
    email_id = failed_email(alice, database)
    retry(alice, email_id)

    assert error_of(retry(alice, email_id), 409)["code"] == "wrong_state"
    assert len(owner_retries(database, email_id)) == 1


def test_concurrent_retries_queue_once(alice: Account, database: Database) -> None:
    email_id = failed_email(alice, database)

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(lambda _: retry(alice, email_id).status_code, range(4)))

    assert statuses == [202, 409, 409, 409]
    assert len(owner_retries(database, email_id)) == 1


def test_the_same_idempotency_key_replays_the_first_answer(
    alice: Account, database: Database
) -> None:
    email_id = failed_email(alice, database)
    first = retry(alice, email_id, **{"Idempotency-Key": "retry-1"})

    again = retry(alice, email_id, **{"Idempotency-Key": "retry-1"})

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(owner_retries(database, email_id)) == 1


def test_an_idempotency_key_used_for_another_email_is_422(
    alice: Account, database: Database
) -> None:
    first, second = failed_email(alice, database), failed_email(alice, database)
    retry(alice, first, **{"Idempotency-Key": "retry-1"})

    response = retry(alice, second, **{"Idempotency-Key": "retry-1"})

    assert fields_of(response) == ["Idempotency-Key"]
    assert stored_email(database, second)["status"] == "failed"


def test_someone_elses_email_cannot_be_retried(
    alice: Account, bob: Account, database: Database
) -> None:
    email_id = failed_email(alice, database)

    assert error_of(retry(bob, email_id), 404)["code"] == "email_not_found"

    assert stored_email(database, email_id)["status"] == "failed"
    assert owner_retries(database, email_id) == []


def test_retrying_an_unknown_or_malformed_id(alice: Account) -> None:
    error_of(retry(alice, str(uuid.uuid4())), 404)
    assert fields_of(retry(alice, "nope")) == ["email_id"]


def test_retrying_without_a_token_is_401(
    alice: Account, database: Database, anonymous: dict[str, httpx.Client]
) -> None:
    email_id = failed_email(alice, database)

    error_of(anonymous["mail"].post(f"/api/emails/{email_id}/retry"), 401)

    assert stored_email(database, email_id)["status"] == "failed"


# --- cancelling a retrying email ----------------------------------------------------------------


def test_cancelling_a_retrying_email_withdraws_its_waiting_request(
    alice: Account, database: Database
) -> None:
    email_id = accepted_id(alice.send())
    mark_retrying(database, email_id)

    response = cancel(alice, email_id)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert stored_email(database, email_id)["status"] == "cancelled"
    assert outbox_rows(database, email_id, published=False) == 0
    assert outbox_rows(database, email_id, published=True) == 1  # what was sent stays on record


def test_a_failed_email_cannot_be_cancelled(alice: Account, database: Database) -> None:
    email_id = failed_email(alice, database)

    assert error_of(cancel(alice, email_id), 409)["code"] == "wrong_state"
    assert stored_email(database, email_id)["status"] == "failed"


def test_someone_elses_retrying_email_cannot_be_cancelled(
    alice: Account, bob: Account, database: Database
) -> None:
    email_id = accepted_id(alice.send())
    mark_retrying(database, email_id)

    error_of(cancel(bob, email_id), 404)

    assert stored_email(database, email_id)["status"] == "retrying"
    assert outbox_rows(database, email_id, published=False) == 1


# --- an operator stopping an email ----------------------------------------------------------------


def abandon(account: Account, email_id: str) -> httpx.Response:
    return account.mail.post(f"/api/admin/emails/{email_id}/abandon")


def in_state(account: Account, database: Database, status: str) -> str:
    """An email of `account` left in `status` with a delivery request still waiting."""
    email_id = accepted_id(account.send(scheduled_at=in_an_hour().isoformat()))
    database.query(
        "UPDATE emails SET status = $2, attempts = 2 WHERE id = $1", uuid.UUID(email_id), status
    )
    return email_id


@pytest.mark.parametrize("status", ["scheduled", "queued", "sending", "retrying"])
def test_an_operator_stops_an_email_in_any_unfinished_state(
    alice: Account, admin: Account, database: Database, status: str
) -> None:
    email_id = in_state(alice, database, status)

    response = abandon(admin, email_id)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert {r["status"] for r in response.json()["recipients"]} == {"abandoned"}
    assert outbox_rows(database, email_id, published=False) == 0
    step = alice.mail.get(f"/api/emails/{email_id}").json()["timeline"][-1]
    assert step["outcome"] == "abandoned"
    assert step["detail"] == f"stopped by an operator ({admin.email})"
    assert step["attempt"] == 2


@pytest.mark.parametrize("status", ["sent", "failed", "cancelled"])
def test_a_final_email_cannot_be_abandoned(
    alice: Account, admin: Account, database: Database, status: str
) -> None:
    email_id = in_state(alice, database, status)

    assert error_of(abandon(admin, email_id), 409)["code"] == "wrong_state"
    assert stored_email(database, email_id)["status"] == status


def test_only_an_operator_may_abandon(alice: Account, database: Database) -> None:
    email_id = in_state(alice, database, "queued")

    error_of(abandon(alice, email_id), 403)

    assert stored_email(database, email_id)["status"] == "queued"


def test_abandoning_an_unknown_email_is_404(admin: Account) -> None:
    error_of(abandon(admin, str(uuid.uuid4())), 404)


def eccs(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eccs", *args],
        env={**os.environ, "DATABASE_URL": database.url, "LOG_LEVEL": "warning"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_eccs_email_abandon_stops_an_email_and_says_so(alice: Account, database: Database) -> None:
    email_id = in_state(alice, database, "sending")

    done = eccs(database, "email", "abandon", email_id)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"abandoned {email_id}: now cancelled"
    assert stored_email(database, email_id)["status"] == "cancelled"
    step = alice.mail.get(f"/api/emails/{email_id}").json()["timeline"][-1]
    assert step["outcome"] == "abandoned" and step["detail"].startswith(
        "stopped by an operator (cli:"
    )


def test_eccs_email_abandon_explains_a_final_email_in_one_line(
    alice: Account, database: Database
) -> None:
    email_id = in_state(alice, database, "sent")

    done = eccs(database, "email", "abandon", email_id)

    assert done.returncode != 0
    assert (
        done.stderr.strip() == "error: This email is sent already; there is nothing left to stop."
    )
