"""The operators' dead-letter queue: listing failed emails and re-driving them, over HTTP and with
`eccs dlq`, with the rows PostgreSQL holds where "never twice" matters."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from eccs.contracts.topics import ATTEMPT_HEADER
from tests.conftest import Database
from tests.integration.conftest import Account, delivery_requests, error_of, fields_of, mark_failed
from tests.integration.test_emails import accepted_id, stored_email

NOW = datetime.now(UTC).replace(microsecond=0)


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def dead_letter(
    account: Account,
    database: Database,
    reason: str = "exhausted",
    failed_at: datetime | None = None,
    attempts: int = 4,
) -> str:
    email_id = accepted_id(account.send(subject=f"{reason} mail"))
    mark_failed(database, email_id, reason, attempts=attempts, failed_at=failed_at)
    return email_id


def listed(admin: Account, **query: Any) -> dict[str, Any]:
    response = admin.mail.get("/api/admin/dlq", params=query)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def ids_of(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def replay(admin: Account, **body: Any) -> httpx.Response:
    return admin.mail.post("/api/admin/dlq/replay", json=body)


def replayed(admin: Account, **body: Any) -> dict[str, Any]:
    response = replay(admin, **body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def replays(database: Database, email_id: str) -> list[dict[str, Any]]:
    return delivery_requests(database, email_id, "replay")


def statuses(database: Database, email_ids: list[str]) -> list[str]:
    return [stored_email(database, email_id)["status"] for email_id in email_ids]


# --- listing ------------------------------------------------------------------------------------


def test_the_list_shows_every_users_failed_emails_latest_failure_first(
    admin: Account, alice: Account, bob: Account, database: Database
) -> None:
    older = dead_letter(alice, database, "refused", hours_ago(2))
    newer = dead_letter(bob, database, "exhausted", hours_ago(1))
    accepted_id(alice.send())  # queued, not dead

    page = listed(admin)

    assert ids_of(page) == [newer, older]
    assert (page["total"], page["page"], page["page_size"]) == (2, 1, 20)


def test_an_item_says_who_sent_what_why_it_failed_and_what_each_recipient_heard(
    admin: Account, alice: Account, database: Database
) -> None:
    email_id = accepted_id(alice.send(to=["ann@example.test"], cc=["cy@example.test"]))
    mark_failed(database, email_id, "refused", attempts=3, failed_at=hours_ago(1))

    [item] = listed(admin)["items"]

    assert item == {
        "id": email_id,
        "user_id": alice.id,
        "sender_email": alice.email,
        "subject": "Hello",
        "reason": "refused",
        "detail": "No recipient accepted the email.",
        "failed_at": item["failed_at"],
        "attempts": 3,
        "recipients": [
            {
                "address": address,
                "kind": kind,
                "status": "refused",
                "smtp_code": 550,
                "smtp_reply": "5.1.1 No such user here",
            }
            for kind, address in (("to", "ann@example.test"), ("cc", "cy@example.test"))
        ],
    }
    assert datetime.fromisoformat(item["failed_at"]) == hours_ago(1)


def test_the_list_filters_by_reason(admin: Account, alice: Account, database: Database) -> None:
    refused = dead_letter(alice, database, "refused")
    expired = dead_letter(alice, database, "expired")

    assert ids_of(listed(admin, reason="refused")) == [refused]
    assert ids_of(listed(admin, reason="expired")) == [expired]
    assert listed(admin, reason="invalid")["total"] == 0


def test_the_list_filters_by_when_they_failed(
    admin: Account, alice: Account, database: Database
) -> None:
    three, two, one = (dead_letter(alice, database, failed_at=hours_ago(h)) for h in (3, 2, 1))

    # `since` is inclusive and `until` exclusive, so adjacent windows never overlap.
    window = {"since": hours_ago(2).isoformat(), "until": hours_ago(1).isoformat()}
    assert ids_of(listed(admin, **window)) == [two]
    assert ids_of(listed(admin, since=hours_ago(2).isoformat())) == [one, two]
    assert ids_of(listed(admin, until=hours_ago(2).isoformat())) == [three]


def test_the_list_pages(admin: Account, alice: Account, database: Database) -> None:
    ids = [dead_letter(alice, database, failed_at=hours_ago(h)) for h in range(5, 0, -1)]
    newest_first = ids[::-1]

    pages = [listed(admin, page=n, page_size=2) for n in (1, 2, 3, 4)]

    assert [ids_of(page) for page in pages] == [newest_first[:2], newest_first[2:4], ids[:1], []]
    assert {page["total"] for page in pages} == {5}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        pytest.param({"reason": "bounced"}, "reason", id="unknown-reason"),
        pytest.param({"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}, "until",
                     id="since-after-until"),
        pytest.param({"since": "yesterday"}, "since", id="not-a-time"),
        pytest.param({"since": "2030-01-01T00:00:00"}, "since", id="no-time-zone"),
        pytest.param({"since": "0001-01-01T00:00:00+01:00"}, "since", id="before-time-began"),
        pytest.param({"page_size": 101}, "page_size", id="page-too-large"),
        pytest.param({"page": 0}, "page", id="page-zero"),
    ],
)  # fmt: skip
def test_bad_list_filters_are_422_naming_the_field(
    admin: Account, query: dict[str, Any], named: str
) -> None:
    assert fields_of(admin.mail.get("/api/admin/dlq", params=query)) == [named]


# --- who may --------------------------------------------------------------------------------------


def test_someone_without_the_admin_role_gets_403(alice: Account, database: Database) -> None:
    email_id = dead_letter(alice, database)

    assert error_of(alice.mail.get("/api/admin/dlq"), 403)["code"] == "forbidden"
    error_of(replay(alice, limit=10), 403)

    assert stored_email(database, email_id)["status"] == "failed"


def test_without_a_token_it_is_401(anonymous: dict[str, httpx.Client]) -> None:
    error_of(anonymous["mail"].get("/api/admin/dlq"), 401)
    error_of(anonymous["mail"].post("/api/admin/dlq/replay", json={"limit": 1}), 401)


# --- replaying ----------------------------------------------------------------------------------


def test_a_replay_requeues_at_most_limit_emails_oldest_failure_first(
    admin: Account, alice: Account, database: Database
) -> None:
    oldest_first = [dead_letter(alice, database, failed_at=hours_ago(h)) for h in (5, 4, 3, 2, 1)]

    result = replayed(admin, limit=3)

    assert result == {"requeued": 3, "ids": oldest_first[:3], "matched": 5}
    assert statuses(database, oldest_first) == ["queued"] * 3 + ["failed"] * 2


def test_a_replayed_email_gets_a_fresh_budget_and_one_request_for_its_next_attempt(
    admin: Account, alice: Account, database: Database
) -> None:
    email_id = dead_letter(alice, database, "exhausted", attempts=4)

    replayed(admin, limit=1)

    stored = stored_email(database, email_id)
    assert (stored["status"], stored["attempts"], stored["attempt_base"]) == ("queued", 4, 4)
    assert (stored["failure_reason"], stored["failed_at"], stored["last_error"]) == (None,) * 3
    [request] = replays(database, email_id)
    assert request["headers"][ATTEMPT_HEADER] == "5"
    recipients = alice.mail.get(f"/api/emails/{email_id}").json()["recipients"]
    assert {r["status"] for r in recipients} == {"pending"}


def test_a_replay_applies_its_filters(admin: Account, alice: Account, database: Database) -> None:
    exhausted_old = dead_letter(alice, database, "exhausted", hours_ago(3))
    exhausted_new = dead_letter(alice, database, "exhausted", hours_ago(1))
    expired = dead_letter(alice, database, "expired", hours_ago(2))

    result = replayed(admin, reason="exhausted", since=hours_ago(2).isoformat(), limit=10)

    assert result == {"requeued": 1, "ids": [exhausted_new], "matched": 1}
    assert statuses(database, [exhausted_old, expired]) == ["failed", "failed"]


def test_a_replay_never_resends_to_a_recipient_that_refused(
    admin: Account, alice: Account, database: Database
) -> None:
    # A 5xx is a final answer: an email every recipient refused has nothing left to replay.
    refused = dead_letter(alice, database, "refused", hours_ago(1))

    result = replayed(admin, limit=10)

    assert result == {"requeued": 0, "ids": [], "matched": 0}
    assert statuses(database, [refused]) == ["failed"]
    assert replays(database, refused) == []


def test_a_rate_spreads_the_requests_over_time(
    admin: Account, alice: Account, database: Database
) -> None:
    ids = [dead_letter(alice, database, failed_at=hours_ago(h)) for h in (3, 2, 1)]

    replayed(admin, limit=3, rate_per_second=2)

    due = [replays(database, email_id)[0]["available_at"] for email_id in ids]
    assert [later - due[0] for later in due] == [timedelta(seconds=s) for s in (0, 0.5, 1)]
    assert due[0] <= datetime.now(UTC)


def test_replaying_twice_requeues_nothing_the_second_time(
    admin: Account, alice: Account, database: Database
) -> None:
    ids = [dead_letter(alice, database) for _ in range(3)]
    replayed(admin, limit=10)

    assert replayed(admin, limit=10) == {"requeued": 0, "ids": [], "matched": 0}
    assert [len(replays(database, email_id)) for email_id in ids] == [1, 1, 1]


def test_concurrent_replays_never_requeue_the_same_email(
    admin: Account, alice: Account, database: Database
) -> None:
    ids = [dead_letter(alice, database, failed_at=hours_ago(20 - i)) for i in range(20)]

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: replayed(admin, limit=12), range(3)))

    taken = [email_id for result in results for email_id in result["ids"]]
    assert sorted(taken) == sorted(ids)  # each email exactly once, every one of them
    assert [len(replays(database, email_id)) for email_id in ids] == [1] * 20


def test_a_replay_skips_emails_another_transaction_holds(
    admin: Account, alice: Account, database: Database
) -> None:
    held, free = dead_letter(alice, database, failed_at=hours_ago(2)), dead_letter(alice, database)

    async def replay_while_holding() -> httpx.Response:
        connection = await asyncpg.connect(database.url)
        try:
            async with connection.transaction():
                await connection.execute(
                    "SELECT 1 FROM emails WHERE id = $1 FOR UPDATE", uuid.UUID(held)
                )
                async with httpx.AsyncClient(
                    base_url=str(admin.mail.base_url), headers=admin.mail.headers, timeout=10
                ) as client:
                    return await client.post("/api/admin/dlq/replay", json={"limit": 10})
        finally:
            await connection.close()

    response = asyncio.run(replay_while_holding())

    assert response.status_code == 200, response.text
    assert response.json()["ids"] == [free]
    assert statuses(database, [held, free]) == ["failed", "queued"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param({}, "limit", id="no-limit"),
        pytest.param({"limit": 0}, "limit", id="limit-zero"),
        pytest.param({"limit": 1001}, "limit", id="limit-too-large"),
        pytest.param({"limit": 1, "reason": "bounced"}, "reason", id="unknown-reason"),
        pytest.param({"limit": 1, "since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00Z"},
                     "until", id="since-after-until"),
        pytest.param({"limit": 1, "rate_per_second": 0}, "rate_per_second", id="rate-zero"),
        pytest.param({"limit": 1, "rate_per_second": 1e-300}, "rate_per_second", id="rate-crawl"),
        pytest.param({"limit": 1, "until": "0001-01-01T00:00:00+01:00"}, "until",
                     id="before-time-began"),
        pytest.param({"limit": 1, "reasons": "refused"}, "reasons", id="misspelt-filter"),
    ],
)  # fmt: skip
def test_a_bad_replay_is_422_naming_the_field_and_requeues_nothing(
    admin: Account, alice: Account, database: Database, body: dict[str, Any], named: str
) -> None:
    email_id = dead_letter(alice, database)

    assert fields_of(replay(admin, **body)) == [named]

    assert stored_email(database, email_id)["status"] == "failed"


# --- the command line ---------------------------------------------------------------------------


def eccs_dlq(database_url: str, *args: str, columns: int = 250) -> subprocess.CompletedProcess[str]:
    """Run the real command, as an operator would, in a terminal this wide."""
    return subprocess.run(
        [sys.executable, "-m", "eccs", "dlq", *args],
        env={**os.environ, "DATABASE_URL": database_url, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_eccs_dlq_list_prints_the_failed_emails_and_a_total(
    alice: Account, database: Database
) -> None:
    refused = dead_letter(alice, database, "refused", hours_ago(2))
    expired = dead_letter(alice, database, "expired", hours_ago(1))

    done = eccs_dlq(database.url, "list", "--reason", "refused", "--since", "1d")

    assert done.returncode == 0, done.stderr
    [row] = [block for block in done.stdout.split("\n\n") if refused in block]
    assert alice.email in row and "refused mail" in row
    assert "someone@example.test" in row
    assert "refused: 550 5.1.1 No such user here" in row
    assert expired not in done.stdout
    assert "1 shown of 1 dead-lettered emails" in done.stdout


def test_eccs_dlq_list_fits_80_columns_and_keeps_the_ids_whole(
    alice: Account, database: Database
) -> None:
    long_address = "a.recipient.with.a.rather.long.address@mail.example.test"
    email_id = alice.send(to=[long_address], subject="An overdue invoice " * 5).json()["id"]
    mark_failed(database, email_id, "refused")

    done = eccs_dlq(database.url, "list", columns=80)

    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80, done.stdout
    lines = [line for line in done.stdout.splitlines() if email_id in line]
    assert len(lines) == 1 and "refused" in lines[0]  # the id whole, its reason beside it
    assert "An overdue invoice" in done.stdout and "…" in done.stdout  # cut, not wrapped
    assert "refused: 550" in done.stdout


def test_eccs_dlq_replay_requeues_and_prints_what_it_did(
    alice: Account, database: Database
) -> None:
    ids = [dead_letter(alice, database, failed_at=hours_ago(h)) for h in (3, 2, 1)]

    done = eccs_dlq(database.url, "replay", "--limit", "2", "--rate", "10")

    assert done.returncode == 0, done.stderr
    # The report alone on stdout; the log line the replay leaves is on stderr.
    assert done.stdout.splitlines() == ["re-queued 2 of 3 matching dead-lettered emails", *ids[:2]]
    assert "dlq_replayed" in done.stderr
    assert statuses(database, ids) == ["queued", "queued", "failed"]
    assert [len(replays(database, email_id)) for email_id in ids] == [1, 1, 0]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        pytest.param(["list", "--since", "last tuesday"], "--since", id="bad-time"),
        pytest.param(["list", "--reason", "bounced"], "--reason", id="bad-reason"),
        pytest.param(["replay", "--limit", "0"], "--limit", id="limit-zero"),
        pytest.param(["replay", "--limit", "5", "--since", "1h", "--until", "2h"], "--until",
                     id="since-after-until"),
    ],
)  # fmt: skip
def test_eccs_dlq_refuses_a_bad_option_in_one_line(
    alice: Account, database: Database, args: list[str], named: str
) -> None:
    email_id = dead_letter(alice, database)

    done = eccs_dlq(database.url, *args)

    assert done.returncode != 0
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert named in message
    assert "Traceback" not in done.stderr
    assert stored_email(database, email_id)["status"] == "failed"


def test_eccs_dlq_says_in_one_line_when_the_database_cannot_be_reached() -> None:
    from tests.servers.postgres import free_port

    done = eccs_dlq(f"postgresql://eccs:secret@127.0.0.1:{free_port()}/eccs", "list")

    assert done.returncode != 0
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "could not use the database" in message
    assert "secret" not in message
    assert "Traceback" not in done.stderr


# --- the published contract ---------------------------------------------------------------------


def test_openapi_declares_the_dlq_and_retry_routes_with_their_errors(email_url: str) -> None:
    paths = httpx.get(f"{email_url}/openapi.json").json()["paths"]

    assert set(paths["/api/admin/dlq"]["get"]["responses"]) == {"200", "401", "403", "422"}
    assert set(paths["/api/admin/dlq/replay"]["post"]["responses"]) == {
        "200",
        "401",
        "403",
        "415",
        "422",
    }
    retry = paths["/api/emails/{email_id}/retry"]["post"]["responses"]
    assert set(retry) == {"202", "401", "403", "404", "409", "422"}  # 403: a key's scope
