"""The whole compose stack, built from this checkout and brought up with podman, met only through
its gateway (HTTPS on a free port), as a user meets it. The tests run in this order on one stack;
the last one takes it down with `stack.sh down` and looks for anything left behind."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.stack.stack import PASSWORD, REPO, Account, Stack, podman, poll

pytestmark = pytest.mark.slow


def send(
    stack: Stack, account: Account, subject: str, to: str | None = None, **headers: str
) -> str:
    with stack.client(account.token) as client:
        response = client.post(
            "/api/emails/send",
            json={"to": [to or account.email], "subject": subject, "text": "Hello from the stack"},
            headers=headers,
        )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def caught_subjects(stack: Stack, query: str) -> list[str]:
    """Subjects the mail catcher holds that contain `query`, read through the gateway."""
    with stack.client() as client:
        response = client.get("/api/dev/inbox", params={"q": query, "page_size": 100})
    assert response.status_code == 200, response.text
    return [item["subject"] for item in response.json()["items"]]


def statuses(stack: Stack, account: Account, ids: list[str]) -> dict[str, str]:
    with stack.client(account.token) as client:
        return {
            email_id: client.get(f"/api/emails/{email_id}").json()["status"] for email_id in ids
        }


# --- the path a user takes --------------------------------------------------------------------


def test_http_is_redirected_to_https(stack: Stack) -> None:
    response = httpx.get(f"http://127.0.0.1:{stack.http_port}/compose?x=1", timeout=10)
    assert response.status_code in (301, 308)
    assert response.headers["location"] == f"https://127.0.0.1:{stack.https_port}/compose?x=1"


def test_the_gateway_serves_a_certificate_made_for_localhost(stack: Stack) -> None:
    pem = ssl.get_server_certificate(("127.0.0.1", stack.https_port))
    context = ssl.create_default_context(cadata=pem)
    with httpx.Client(verify=context, timeout=10) as client:
        page = client.get(f"{stack.url}/")
    assert page.status_code == 200
    assert '<div id="root">' in page.text or 'id="root"' in page.text
    # The web app's own headers (its nginx), HSTS from the gateway.
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["strict-transport-security"].startswith("max-age=31536000")


def test_sign_up_sign_in_send_and_see_it_caught_and_sent(stack: Stack) -> None:
    account = stack.sign_up("sender")
    subject = f"Through the gateway {secrets.token_hex(4)}"
    email_id = send(stack, account, subject)

    for _ in poll("the email caught by the mail catcher", 60):
        if caught_subjects(stack, subject) == [subject]:
            break
    for _ in poll("the email sent", 30):
        if statuses(stack, account, [email_id]) == {email_id: "sent"}:
            break
    with stack.client(account.token) as client:
        listed = client.get("/api/emails", params={"status": "sent"}).json()
    assert email_id in [item["id"] for item in listed["items"]]


def test_the_api_answers_with_its_security_headers(stack: Stack) -> None:
    with stack.client() as client:
        response = client.get("/api/auth/jwks")
    assert response.status_code == 200
    assert (
        response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


def test_the_api_docs_show_all_three_services(stack: Stack) -> None:
    with stack.client() as client:
        page = client.get("/docs")
        script = client.get("/docs/assets/swagger-ui-bundle.js")
        document = client.get("/openapi.json")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    paths = document.json()["paths"]
    assert {"/api/auth/login", "/api/emails/send", "/api/dev/inbox"} <= set(paths)


def test_cors_allows_only_the_listed_origins(stack: Stack) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization",
    }
    with stack.client() as client:
        allowed = client.options(
            "/api/emails/send", headers={"origin": "https://app.example.test", **preflight}
        )
        refused = client.options(
            "/api/emails/send", headers={"origin": "https://evil.example", **preflight}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.test"
    assert "access-control-allow-origin" not in refused.headers


def test_a_body_over_the_limit_is_refused_at_the_gateway(stack: Stack) -> None:
    account = stack.account("bulky")
    with stack.client(account.token) as client:
        response = client.post(
            "/api/emails/send",
            content=b"{" + b" " * (16 * 1024 * 1024) + b"}",
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413


# --- forward-auth -------------------------------------------------------------------------------


def email_requests(stack: Stack, route: str, status: str) -> float:
    """How many requests email-service itself answered on this route with this status."""
    pattern = re.compile(
        rf'^eccs_http_requests_total\{{(?=[^}}]*route="{re.escape(route)}")(?=[^}}]*status="{status}")'
        rf'(?=[^}}]*service="email")[^}}]*\}} (\S+)$',
        re.MULTILINE,
    )
    return sum(float(value) for value in pattern.findall(stack.metrics("email", 8002)))


def test_a_request_without_a_token_is_refused_at_the_gateway(stack: Stack) -> None:
    before = email_requests(stack, "/api/emails", "401")
    with stack.client() as client:
        responses = [
            client.get("/api/emails"),
            client.get("/api/emails", headers={"authorization": "Bearer forged"}),
        ]
    for response in responses:
        assert response.status_code == 401
        assert response.json()["error"]["code"]
    # Answered by forward-auth: email-service never saw them.
    assert email_requests(stack, "/api/emails", "401") == before


def test_forged_user_headers_are_ignored(stack: Stack) -> None:
    alice, bob = stack.account("alice"), stack.account("bob")
    subject = f"Only Bob's {secrets.token_hex(4)}"
    send(stack, bob, subject)
    forged = {"x-user-id": bob.id, "x-user-email": bob.email, "x-user-role": "admin"}
    with stack.client(alice.token) as client:
        listed = client.get("/api/emails", params={"q": subject}, headers=forged)
        admin = client.get("/api/admin/dlq", headers=forged)
    with stack.client() as client:
        anonymous = client.get("/api/emails", headers=forged)
    assert listed.status_code == 200
    assert listed.json()["total"] == 0
    assert admin.status_code == 403
    assert anonymous.status_code == 401


def test_trace_context_reaches_the_service(stack: Stack) -> None:
    account = stack.account("traced")
    trace_id = secrets.token_hex(16)
    send(stack, account, "Traced", traceparent=f"00-{trace_id}-{secrets.token_hex(8)}-01")
    for _ in poll("the trace id in email-service's log", 15):
        if trace_id in stack.logs(stack.container("email")):
            break


def test_the_gateway_logs_json_without_credentials_and_exports_metrics(stack: Stack) -> None:
    account = stack.account("logged")
    with stack.client(account.token) as client:
        assert client.get("/api/emails").status_code == 200
    gateway = stack.container("gateway")
    lines = [line for line in stack.logs(gateway).splitlines() if line.startswith("{")]
    requests = [json.loads(line) for line in lines if '"RequestPath"' in line]
    assert any(entry["RequestPath"] == "/api/emails" for entry in requests)
    assert account.token not in stack.logs(gateway)
    # Prometheus metrics on the gateway's internal port, read from a neighbour on `edge`.
    script = "import urllib.request; print(urllib.request.urlopen('http://gateway:8082/metrics').read().decode())"
    metrics = podman("exec", stack.container("auth"), "python3", "-c", script)
    assert 'traefik_service_requests_total{code="200"' in metrics


# --- delivery and failures ----------------------------------------------------------------------


def test_a_killed_notification_worker_loses_no_email(stack: Stack) -> None:
    workers = stack.containers("notification")
    assert len(workers) == 2, workers
    account = stack.account("many")
    batch = f"batch-{secrets.token_hex(4)}"
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda n: send(stack, account, f"{batch} #{n:02d}"), range(40)))
    # Mid-run: some of the batch delivered, the rest in flight or waiting. The worker dies as
    # in a crash, from outside (`podman kill` would count as stopping it on purpose, and its
    # restart policy would leave it stopped).
    os.kill(int(podman("inspect", "--format", "{{.State.Pid}}", workers[0])), signal.SIGKILL)

    for _ in poll("every email of the batch sent after a worker was killed", 150, step=2):
        if set(statuses(stack, account, ids).values()) == {"sent"}:
            break
    assert set(caught_subjects(stack, batch)) == {f"{batch} #{n:02d}" for n in range(40)}
    # The restart policy brings the killed worker back.
    stack.wait_healthy(workers[0], within=120)


def test_the_breaker_opens_when_email_service_is_down_and_closes_when_it_returns(
    stack: Stack,
) -> None:
    account = stack.account("patient")
    email = stack.container("email")
    podman("stop", "--time", "5", email)
    try:
        with stack.client(account.token) as client:
            for _ in poll("503 from the gateway's open breaker", 30, step=0.2):
                if client.get("/api/emails").status_code == 503:
                    break
            started = time.monotonic()
            assert client.get("/api/emails").status_code == 503
            assert time.monotonic() - started < 0.5  # answered by the breaker, not a timeout
    finally:
        podman("start", email)
    stack.wait_healthy(email)
    # Closed again: once the backend answers, the breaker lets a growing share of requests
    # through for its recovery time (10 s), then all of them.
    with stack.client(account.token) as client:
        for _ in poll("every request through again once email-service is back", 90):
            if all(client.get("/api/emails").status_code == 200 for _ in range(20)):
                break


# --- backups ------------------------------------------------------------------------------------

# Where the backup service keeps its backups: the `backups` volume.
BACKUPS = "/var/lib/eccs/backups"


def read_email(stack: Stack, account: Account, email_id: str) -> dict[str, Any]:
    with stack.client(account.token) as client:
        response = client.get(f"/api/emails/{email_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def delivered_to(email: dict[str, Any], address: str) -> bool:
    """Sent, with the recipient's acceptance in its timeline (read from the audit trail)."""
    accepted = {entry["recipient"] for entry in email["timeline"] if entry["outcome"] == "accepted"}
    return email["status"] == "sent" and address in accepted


def next_scheduled_backup(stack: Stack, after: datetime) -> str:
    """The first backup the schedule takes after `after` (the test stack's runs every minute),
    named by the backup service's log line."""
    started = after.replace(microsecond=0)
    for _ in poll("a scheduled backup in the backup service's log", 150, step=3):
        for line in stack.logs(stack.container("backup")).splitlines():
            entry = json.loads(line) if line.startswith("{") else {}
            if entry.get("event") != "backup taken":
                continue
            stamp = re.fullmatch(r"eccs-backup-(\d{8}T\d{6}Z)\.tar", entry["file"])
            assert stamp, entry
            if datetime.strptime(stamp[1], "%Y%m%dT%H%M%S%z") > started:
                return str(entry["file"])
    raise AssertionError("unreachable")


def assert_sealed_with_the_stack_key(stack: Stack, name: str, clear: bytes) -> None:
    """The backup holds the database and the audit trail, each encrypted with the stack's
    backup_key (they open with `age`, as the README says), and `clear`, which they hold, is
    nowhere on the volume in the clear."""
    volume = Path(
        podman(
            "volume", "inspect", "--format", "{{.Mountpoint}}", f"{stack.project}_backups"
        ).strip()
    )
    key = stack.work_dir / "stack" / "secrets" / "backup_key"
    with tarfile.open(volume / name) as backup:
        assert sorted(backup.getnames()) == ["audit.bson.age", "manifest.json", "postgres.dump.age"]
        manifest = json.loads(member_bytes(backup, "manifest.json"))
        opened = {
            member: subprocess.run(
                ["age", "-d", "-i", str(key)],
                input=member_bytes(backup, f"{member}.age"),
                capture_output=True,
                check=True,
            ).stdout
            for member in ("postgres.dump", "audit.bson")
        }
    assert f"# public key: {manifest['key']}" in key.read_text()
    assert opened["postgres.dump"].startswith(b"PGDMP")  # pg_dump's custom format
    assert clear in opened["audit.bson"]
    for path in volume.rglob("*"):
        assert not path.is_file() or clear not in path.read_bytes(), path


def member_bytes(backup: tarfile.TarFile, name: str) -> bytes:
    member = backup.extractfile(name)
    assert member is not None, name
    return member.read()


def test_a_scheduled_backup_brings_back_a_deleted_account_and_its_email(stack: Stack) -> None:
    account = stack.account("kept")
    email_id = send(stack, account, f"Kept by the backup {secrets.token_hex(4)}")
    for _ in poll("the email sent and its delivery in the audit trail", 60):
        if delivered_to(read_email(stack, account, email_id), account.email):
            break
    name = next_scheduled_backup(stack, after=datetime.now(UTC))
    status = podman("exec", stack.container("backup"), "eccs", "backup", "status")
    assert f"\n{name}  " in f"\n{status}"  # listed, with its size
    last_run = re.search(r"last run at [^:]+:\d\d:\d\d UTC: (eccs-backup-\S+\.tar) in ", status)
    assert last_run, status
    assert last_run[1] >= name  # that one, or a newer one if a minute went by meanwhile
    assert_sealed_with_the_stack_key(stack, name, account.email.encode())

    # Lost: the account deleted through the API; its emails erased moments later, and its
    # address taken out of their audit trail.
    with stack.client(account.token) as client:
        deleted = client.request("DELETE", "/api/auth/me", json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.text
    with stack.client() as client:
        signing_in = {"email": account.email, "password": PASSWORD}
        assert client.post("/api/auth/login", json=signing_in).status_code == 401
    for _ in poll("the account's emails erased", 60, step=2):
        lines = stack.logs(stack.container("email")).splitlines()
        if any('"account_erased"' in line and account.id in line for line in lines):
            break

    # The README's restore: the services stopped, the backup restored over the stack's
    # database and audit trail from inside the backup service, then `make stack`.
    stack.script("compose stop auth email notification")
    restored = stack.script(f"compose exec -T backup eccs restore {BACKUPS}/{name} --yes")
    assert f"restored {name}" in restored.stdout
    stack.script("up")

    with stack.client() as client:
        for _ in poll("auth-service through the gateway again", 60):
            if client.get("/api/auth/jwks").status_code == 200:
                break
    back = stack.sign_in(account.email)
    with stack.client(back.token) as client:
        for _ in poll("email-service through the gateway again", 60):
            if client.get(f"/api/emails/{email_id}").status_code == 200:
                break
    assert delivered_to(read_email(stack, back, email_id), account.email)


# --- the web app in a browser ----------------------------------------------------------------


def test_the_web_app_signs_in_and_sends_through_the_gateway(stack: Stack) -> None:
    result = subprocess.run(
        ["npx", "playwright", "test", "--config", "playwright.stack.config.ts"],
        cwd=REPO / "frontend",
        env={**stack.env, "ECCS_E2E_URL": stack.url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


# --- limits last: they leave the address's sign-in budget spent for a minute ------------------


def test_sign_in_is_rate_limited_per_address_with_retry_after(stack: Stack) -> None:
    # A different account each time (auth-service's own throttle counts failures per account),
    # and a different X-Forwarded-For: the gateway counts the connection's address, not a header.
    with stack.client() as client:
        answers = [
            client.post(
                "/api/auth/login",
                json={"email": f"nobody{n}@example.test", "password": "not the password"},
                headers={"x-forwarded-for": f"198.51.100.{n}"},
            )
            for n in range(25)
        ]
    limited = [answer for answer in answers if answer.status_code == 429]
    assert limited, [answer.status_code for answer in answers]
    assert int(limited[0].headers["retry-after"]) >= 1
    # The gateway's answer (its X-Retry-In), before auth-service's own throttle is reached.
    assert "x-retry-in" in limited[0].headers


# --- and down -----------------------------------------------------------------------------------


def test_stack_down_leaves_no_container_network_or_process(stack: Stack) -> None:
    label = f"label=com.docker.compose.project={stack.project}"
    ids = podman("ps", "-a", "-q", "--no-trunc", "--filter", label).split()
    assert ids
    started = time.monotonic()
    stack.script("down", STACK_WIPE="1")
    took = time.monotonic() - started

    assert stack.containers_left() == []
    processes = subprocess.run(
        ["ps", "-eo", "args"], capture_output=True, text=True, check=True
    ).stdout
    assert not [line for line in processes.splitlines() if any(cid in line for cid in ids)]
    volumes = podman("volume", "ls", "--format", "{{.Name}}").split()
    assert not [name for name in volumes if name.startswith(f"{stack.project}_")]
    with pytest.raises(httpx.ConnectError):
        httpx.get(stack.url, verify=False, timeout=5)  # noqa: S501
    # Every container stops at once on SIGTERM (init: true), so down is quick.
    assert took < 60, f"stack.sh down took {took:.0f}s"
