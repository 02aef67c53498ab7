"""The stack's observability fed by real traffic and checked the way an operator would look:
after a short load through the gateway, every dashboard panel's query answers with data from
the stack's Prometheus, one email's trace is found in Jaeger by the id the API answered, its log
lines are found in the log store by its email id and its trace id, no log line holds a
password, a token, a subject or a body, and an alert reaches the operators as an email sent
through ECCS. Zipkin shows the same trace. Runs before test_stack.py, on the same stack
(conftest.py)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.stack.stack import PASSWORD, REPO, Account, Stack, poll

pytestmark = pytest.mark.slow

DASHBOARDS = REPO / "deploy" / "dashboards"
BODY = "Observed body text that no log line may hold"


@dataclass(frozen=True)
class Load:
    """What the load run did: the accounts and the emails it sent, and what they held."""

    account: Account
    traced_id: str
    trace_id: str
    subject: str


def send(stack: Stack, account: Account, to: str, subject: str) -> httpx.Response:
    with stack.client(account.token) as client:
        response = client.post(
            "/api/emails/send", json={"to": [to], "subject": subject, "text": BODY}
        )
    assert response.status_code == 202, response.text
    return response


@pytest.fixture(scope="module")
def load(stack: Stack) -> Load:
    """Sign-ups, a failed sign-in, sends delivered, deferred then delivered, and refused."""
    account = stack.sign_up("observed")
    with stack.client() as client:
        refused = client.post(
            "/api/auth/login", json={"email": account.email, "password": "not the password"}
        )
    assert refused.status_code == 401
    subject = f"Observed {secrets.token_hex(4)}"
    traced = send(stack, account, account.email, subject)
    for n, to in enumerate(["someone@example.test", "later@flaky.test", "nobody@fail.test"] * 3):
        send(stack, account, to, f"{subject} #{n}")
    email_id = traced.json()["id"]
    with stack.client(account.token) as client:
        for _ in poll("the traced email sent", 60):
            if client.get(f"/api/emails/{email_id}").json()["status"] == "sent":
                break
    return Load(account, email_id, traced.headers["x-trace-id"], subject)


# --- metrics ------------------------------------------------------------------------------------


def panels() -> Iterator[tuple[str, str, str]]:
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                yield path.stem, panel["title"], target["expr"]


def prometheus_query(stack: Stack, expr: str) -> list[Any]:
    response = httpx.get(
        f"http://127.0.0.1:{stack.prometheus_port}/api/v1/query", params={"query": expr}
    )
    assert response.status_code == 200, response.text
    result: list[Any] = response.json()["data"]["result"]
    return result


def test_every_replica_is_scraped_by_service(stack: Stack, load: Load) -> None:
    for _ in poll("every replica up in Prometheus", 60, step=2):
        up = {
            (series["metric"]["job"], series["metric"]["instance"])
            for series in prometheus_query(stack, 'up{job=~"auth|email|notification|gateway"} == 1')
        }
        if sum(job == "notification" for job, _ in up) == 2 and len(up) == 5:
            break


@pytest.mark.parametrize(("board", "title", "expr"), list(panels()))
def test_every_dashboard_panel_shows_data(
    stack: Stack, load: Load, board: str, title: str, expr: str
) -> None:
    # Rates need two scrapes after the load; recording rules one evaluation more.
    for _ in poll(f"{board}: {title!r} ({expr}) answering with data", 90, step=3):
        if prometheus_query(stack, expr):
            break


# --- traces -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    id: str
    parent: str | None
    service: str
    name: str
    kind: str


def trace_spans(stack: Stack, trace_id: str) -> list[Span]:
    response = httpx.get(f"http://127.0.0.1:{stack.jaeger_port}/api/traces/{trace_id}")
    if response.status_code != 200 or not response.json().get("data"):
        return []
    [trace] = response.json()["data"]
    processes = {key: value["serviceName"] for key, value in trace["processes"].items()}
    return [
        Span(
            span["spanID"],
            next(
                (ref["spanID"] for ref in span["references"] if ref["refType"] == "CHILD_OF"), None
            ),
            processes[span["processID"]],
            span["operationName"],
            next((tag["value"] for tag in span["tags"] if tag["key"] == "span.kind"), ""),
        )
        for span in trace["spans"]
    ]


def one(spans: list[Span], service: str, name: str, kind: str) -> Span:
    found = [s for s in spans if s.service == service and s.name == name and s.kind == kind]
    assert found, f"no {kind} span {name!r} of {service} in {spans}"
    return found[0]


def test_an_email_is_one_trace_from_the_gateway_to_the_smtp_relay(stack: Stack, load: Load) -> None:
    wanted = {"eccs-gateway", "eccs-email", "eccs-notification"}
    for _ in poll("the email's whole trace in Jaeger", 60, step=2):
        spans = trace_spans(stack, load.trace_id)
        if wanted <= {s.service for s in spans} and any(s.name == "smtp send" for s in spans):
            break
    by_id = {s.id: s for s in spans}
    # One span for the request (FastAPI's own is off), under the gateway's.
    [request] = [s for s in spans if s.service == "eccs-email" and s.kind == "server"]
    assert request.name == "POST /api/emails/send"
    assert request.parent is not None and by_id[request.parent].service == "eccs-gateway"
    database = [s for s in spans if s.service == "eccs-email" and s.kind == "client"]
    assert any(s.parent == request.id for s in database), "no database span under the request"
    publish = one(spans, "eccs-email", "publish eccs.email.requested", "producer")
    assert publish.parent == request.id
    consume = one(spans, "eccs-notification", "deliver email", "consumer")
    assert consume.parent == publish.id
    smtp = one(spans, "eccs-notification", "smtp send", "client")
    assert smtp.parent == consume.id
    worker_database = [
        s for s in spans if s.service == "eccs-notification" and s.parent == consume.id
    ]
    assert any(s.name in ("SELECT", "UPDATE", "WITH", "INSERT") for s in worker_database)
    # The gateway's first span is the one root: the whole email is one trace.
    [root] = [s for s in spans if s.parent is None]
    assert root.service == "eccs-gateway"


def test_the_same_trace_is_in_zipkin_whose_ui_a_person_can_open(stack: Stack, load: Load) -> None:
    zipkin = f"http://127.0.0.1:{stack.zipkin_port}/zipkin"
    wanted = {"eccs-gateway", "eccs-email", "eccs-notification"}
    for _ in poll("the email's trace in Zipkin", 60, step=2):
        response = httpx.get(f"{zipkin}/api/v2/trace/{load.trace_id}")
        names = {
            span.get("localEndpoint", {}).get("serviceName")
            for span in (response.json() if response.status_code == 200 else [])
        }
        if wanted <= names:
            break
    page = httpx.get(f"{zipkin}/")
    assert page.status_code == 200
    assert "<title>Zipkin</title>" in page.text


# --- logs ----------------------------------------------------------------------------------------


def log_lines(stack: Stack, query: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"http://127.0.0.1:{stack.victorialogs_port}/select/logsql/query",
        params={"query": query, "limit": 1000},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_an_emails_lines_are_found_by_its_email_id_and_its_trace_id(
    stack: Stack, load: Load
) -> None:
    for _ in poll("the email's lines from the API to the worker in the log store", 60, step=2):
        traced = log_lines(stack, f'trace_id:="{load.trace_id}"')
        services = {line.get("service") for line in traced}
        if {"email", "notification"} <= services:
            break
    api = [line for line in traced if line.get("service") == "email"]
    assert any(line.get("route") == "/api/emails/send" for line in api), api
    by_email = log_lines(stack, f'email_id:="{load.traced_id}"')
    finished = [line for line in by_email if line.get("event") == "attempt_finished"]
    assert finished and finished[0]["service"] == "notification"
    assert finished[0]["trace_id"] == load.trace_id


def test_no_log_line_holds_a_password_a_token_a_subject_or_a_body(stack: Stack, load: Load) -> None:
    # Every container's lines are there (the stores' and the gateway's too).
    for _ in poll("lines of the gateway and the data stores in the log store", 60, step=2):
        if len(log_lines(stack, "* | stats by (container_id) count() | limit 100")) >= 10:
            break
    secrets_seen = {
        "the password": PASSWORD,
        "an access token": load.account.token.rsplit(".", 1)[-1],
        "a subject": load.subject,
        "a body": BODY,
    }
    for what, text in secrets_seen.items():
        assert log_lines(stack, f'"{text}"') == [], f"a log line holds {what}"


# --- alerts --------------------------------------------------------------------------------------


def test_an_alert_reaches_the_operators_as_an_email_sent_through_eccs(stack: Stack) -> None:
    name = f"EccsStackTest{secrets.token_hex(3)}"
    alert = [
        {
            "labels": {"alertname": name, "severity": "ticket"},
            "annotations": {"summary": "A test alert", "runbook": "Nothing to do."},
        }
    ]
    response = httpx.post(
        f"http://127.0.0.1:{stack.alertmanager_port}/api/v2/alerts", json=alert, timeout=10
    )
    assert response.status_code == 200, response.text
    # Alertmanager waits group_wait (30 s) before the first notification of a group.
    with stack.client() as client:
        for _ in poll("the alert's email in the mail catcher", 120, step=3):
            caught = client.get("/api/dev/inbox", params={"q": name}).json()["items"]
            if caught:
                break
    assert caught[0]["subject"] == f"[ECCS FIRING (1)] {name}"
    assert caught[0]["to"] == ["ops@example.com"]
