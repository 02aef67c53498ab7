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

import httpx

from tests.conftest import Database, Service, assert_served_alone, start_service
from tests.integration.conftest import PASSWORD, Account, error_of
from tests.servers.kafka import KafkaServer

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


def test_a_500_is_one_error_record_with_the_request_and_trace_ids_and_no_content(
    alice: Account, database: Database, services: dict[str, Service]
) -> None:
    log = services["email"].log
    secret = uuid.uuid4().hex[:12]
    subject, body, recipient = f"Secret {secret}", f"Body {secret}", f"to-{secret}@example.test"
    offset = log.stat().st_size

    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"

    with refusing_subjects(database, "Secret"):
        response = alice.mail.post(
            "/api/emails/send",
            json={"to": [recipient], "subject": subject, "text": body},
            headers={"traceparent": traceparent},
        )

    assert error_of(response, 500)["code"] == "internal_error"
    request_id = response.headers["x-request-id"]
    records = records_after(log, offset)
    errors = [record for record in records if record["level"] in ("error", "critical")]
    assert len(errors) == 1, errors
    [error] = errors
    assert error["request_id"] == request_id
    assert error["trace_id"] == trace_id  # the caller's trace, continued
    assert error["event"] == "unhandled_error"
    assert "CheckViolationError" in error["exception"]  # the cause, in the one traceback
    assert sum("Traceback" in json.dumps(record) for record in records) == 1
    written = json.dumps(records)
    for content in (secret, alice.email):
        assert content not in written


# --- headers on every answer --------------------------------------------------------------------

SOME_ANSWERS = [
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/no/such/page"),
    ("DELETE", "/health"),
    ("GET", "/api/auth/me"),
    ("GET", "/api/emails"),
    ("POST", "/api/auth/login"),
]


def test_every_answer_of_every_service_says_nosniff(anonymous: dict[str, httpx.Client]) -> None:
    for name, client in anonymous.items():
        for method, path in SOME_ANSWERS:
            response = client.request(method, path)
            assert response.headers.get("x-content-type-options") == "nosniff", (name, path)


def test_the_notification_service_answers_with_the_same_headers_and_offline_docs(
    kafka: KafkaServer, service_env: dict[str, str], work_dir: Path
) -> None:
    env = {**service_env, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap, "SMTP_HOST": "127.0.0.1"}
    (work_dir / "edges").mkdir(exist_ok=True)  # its own log, beside the shared services'
    worker = start_service("notification", env, work_dir / "edges")
    try:
        with httpx.Client(base_url=worker.url, timeout=10) as client:
            for method, path in SOME_ANSWERS[:7]:  # the paths every service has
                response = client.request(method, path)
                assert response.headers.get("x-content-type-options") == "nosniff", path
            assert_served_alone(client, "/docs")
    finally:
        worker.process.terminate()
        worker.process.wait(30)


def test_answers_holding_tokens_are_never_stored(auth_url: str) -> None:
    with httpx.Client(base_url=auth_url, timeout=10) as client:
        address = f"stored-{uuid.uuid4().hex[:8]}@example.test"
        credentials = {"email": address, "password": PASSWORD}
        registered = client.post("/api/auth/register", json={**credentials, "name": "Nobody"})
        assert registered.status_code == 202, registered.text
        logged_in = client.post("/api/auth/login", json=credentials)
        refresh_token = logged_in.json()["refresh_token"]
        refreshed = client.post("/api/auth/refresh", json={"refresh_token": refresh_token})
        api_key = client.post(
            "/api/auth/keys",
            json={"name": "stored?", "scopes": ["emails:read"]},
            headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
        )
        keys = client.get("/api/auth/jwks")

    for response, secret in (
        (logged_in, "refresh_token"),
        (refreshed, "refresh_token"),
        (api_key, "key"),
    ):
        assert response.status_code in (200, 201), response.text
        assert secret in response.json()
        assert response.headers["cache-control"] == "no-store", response.url
    assert keys.headers["cache-control"] == "public, max-age=300"  # public keys may be kept


# --- the API docs, offline ----------------------------------------------------------------------


def test_the_api_docs_need_nothing_but_the_service(anonymous: dict[str, httpx.Client]) -> None:
    for client in anonymous.values():
        swagger = assert_served_alone(client, "/docs")
        assert any(reference.endswith("swagger-ui-bundle.js") for reference in swagger)
        assert any(reference.endswith(".css") for reference in swagger)
        redoc = assert_served_alone(client, "/redoc")
        assert any(reference.endswith("redoc.standalone.js") for reference in redoc)
        assert client.get("/openapi.json").json()["paths"]


# --- malformed requests -------------------------------------------------------------------------

LOGIN = "/api/auth/login"
JSON = {"content-type": "application/json"}


def test_a_body_that_is_not_json_is_a_422_naming_the_body(
    anonymous: dict[str, httpx.Client],
) -> None:
    auth = anonymous["auth"]
    for content, problem in [
        (b'{"email": ', "not valid JSON: unexpected end of data (at character 10)"),
        (b'{"email": "a@example.test",}', "not valid JSON"),
        (b'{"email": "\xff\xfe", "password": "x"}', "UTF-8"),
    ]:
        error = error_of(auth.post(LOGIN, content=content, headers=JSON), 422)
        assert error["code"] == "invalid_body"
        assert problem in error["message"]
        assert [field["field"] for field in error["fields"]] == ["body"]


def test_a_body_declared_as_something_else_than_json_is_a_415(
    anonymous: dict[str, httpx.Client],
) -> None:
    credentials = {"email": "a@example.test", "password": PASSWORD}
    auth = anonymous["auth"]
    for answer in (
        auth.post(LOGIN, data=credentials),  # a form
        auth.post(LOGIN, content=json.dumps(credentials), headers={"content-type": "text/plain"}),
        auth.post(LOGIN, content=json.dumps(credentials)),  # no Content-Type at all
    ):
        error = error_of(answer, 415)
        assert error["code"] == "unsupported_media_type"
        assert "Content-Type: application/json" in error["message"]
    # JSON as a +json type is read as JSON; no body at all is a missing body.
    plus_json = {"content-type": "application/vnd.eccs+json; charset=utf-8"}
    answer = auth.post(LOGIN, content=json.dumps(credentials), headers=plus_json)
    assert error_of(answer, 401)["code"] == "invalid_credentials"
    assert error_of(auth.post(LOGIN), 422)["fields"] == [
        {"field": "body", "message": "Field required"}
    ]
    # Declared, for every route that takes a body.
    for client in anonymous.values():
        for operations in client.get("/openapi.json").json()["paths"].values():
            for operation in operations.values():
                if "requestBody" in operation:
                    declared = operation["responses"]["415"]["content"]["application/json"]
                    assert declared["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_unknown_paths_and_methods_answer_in_the_error_shape(
    anonymous: dict[str, httpx.Client],
) -> None:
    for client in anonymous.values():
        missing = error_of(client.get("/api/no-such-thing"), 404)
        assert missing["code"] == "not_found" and missing["message"] != "Not Found"
        wrong = client.delete("/health")
        assert error_of(wrong, 405)["code"] == "method_not_allowed"
        assert error_of(wrong, 405)["message"] == "DELETE is not allowed here; allowed: GET."
        assert wrong.headers["allow"] == "GET"
