"""What every service's HTTP shell does at the edges, seen from outside: the headers on every
answer, malformed requests, the offline API docs, and what a 500 leaves in the log."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import Database, Service
from tests.integration.conftest import Account, error_of

# --- a 500 in the log ---------------------------------------------------------------------------


@contextmanager
def refusing_subjects(database: Database, prefix: str) -> Iterator[None]:
    """A CHECK constraint that makes PostgreSQL refuse emails whose subject starts with prefix:
    a real database error, whose DETAIL holds the whole row (`Failing row contains (...)`)."""
    database.query(
        f"ALTER TABLE emails ADD CONSTRAINT test_refused CHECK (subject NOT LIKE '{prefix}%')"
    )
    try:
        yield
    finally:
        database.query("ALTER TABLE emails DROP CONSTRAINT test_refused")


def records_after(log: Path, offset: int) -> list[dict[str, Any]]:
    """The log records a service wrote after `offset`: every line must be one JSON record."""
    time.sleep(0.3)  # written just after the answer
    lines = log.read_bytes()[offset:].decode().splitlines()
    return [json.loads(line) for line in lines]


def test_a_500_is_one_error_record_with_the_request_id_and_no_content(
    alice: Account, database: Database, services: dict[str, Service]
) -> None:
    log = services["email"].log
    secret = uuid.uuid4().hex[:12]
    subject, body, recipient = f"Secret {secret}", f"Body {secret}", f"to-{secret}@example.test"
    offset = log.stat().st_size

    with refusing_subjects(database, "Secret"):
        response = alice.send(to=[recipient], subject=subject, text=body)

    assert error_of(response, 500)["code"] == "internal_error"
    request_id = response.headers["x-request-id"]
    records = records_after(log, offset)
    errors = [record for record in records if record["level"] in ("error", "critical")]
    assert len(errors) == 1, errors
    [error] = errors
    assert error["request_id"] == request_id
    assert error["event"] == "unhandled_error"
    assert "CheckViolationError" in error["exception"]  # the cause, in the one traceback
    assert sum("Traceback" in json.dumps(record) for record in records) == 1
    written = json.dumps(records)
    for content in (secret, alice.email):
        assert content not in written
