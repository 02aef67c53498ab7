"""The one HTTP front of `eccs up`, at its edges: which host names it answers for, /ready, the
headers and error shape of every answer, and the API docs served without any CDN."""

from __future__ import annotations

import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import assert_served_alone
from tests.e2e.test_up import PASSWORD, Up, eccs_up, wait_healthy
from tests.servers.postgres import free_port

pytestmark = pytest.mark.slow

ALLOWED = "eccs.example.test"


def fresh_data_dir(work_dir: Path) -> Path:
    # Under the suite's 0755 directory: as root, PostgreSQL runs as another user that must reach it.
    return Path(tempfile.mkdtemp(prefix="eccs-front-", dir=work_dir)) / "data"


def start_up(data_dir: Path, *options: str, allowed: str = "") -> Up:
    port = free_port()
    process = eccs_up(data_dir, port, *options, environ={"ECCS_ALLOWED_HOSTS": allowed})
    up = Up(process, f"http://127.0.0.1:{port}", data_dir, data_dir.with_suffix(".log"))
    try:
        wait_healthy(up)
    except BaseException:
        stop(up)
        raise
    return up


def stop(up: Up) -> None:
    up.process.send_signal(signal.SIGINT)
    try:
        up.process.wait(60)
    except subprocess.TimeoutExpired:
        up.process.kill()


@pytest.fixture(scope="module")
def front(work_dir: Path) -> Iterator[httpx.Client]:
    up = start_up(fresh_data_dir(work_dir), allowed=f"{ALLOWED}, other.example.test")
    with httpx.Client(base_url=up.url, timeout=30) as client:
        yield client
    stop(up)


def on_host(client: httpx.Client, host: str, path: str) -> httpx.Response:
    return client.get(path, headers={"Host": host})


def test_only_the_served_host_names_are_answered(front: httpx.Client) -> None:
    port = front.base_url.port
    for host in ("localhost", f"127.0.0.1:{port}", f"[::1]:{port}", f"{ALLOWED}:{port}"):
        assert on_host(front, host, "/api/dev/inbox").status_code == 200, host
    for path in ("/api/dev/inbox", "/", "/health", "/api/auth/jwks"):
        refused = on_host(front, f"rebound.example:{port}", path)
        assert refused.status_code == 400, path
        assert refused.json()["error"]["code"] == "unknown_host"
        assert "ECCS_ALLOWED_HOSTS" in refused.json()["error"]["message"]
        assert refused.headers["x-content-type-options"] == "nosniff"


def test_ready_is_the_readiness_of_every_part(front: httpx.Client) -> None:
    ready = front.get("/ready")
    assert ready.status_code == 200
    assert ready.headers["content-type"] == "application/json"
    body = ready.json()
    assert body["status"] == "ready" and body["mode"] == "embedded"
    assert set(body["parts"]) >= {"postgresql", "kafka", "auth", "email", "notification"}
    assert set(body["parts"].values()) == {"ok"}


def test_the_fronts_own_errors_are_in_the_error_shape(front: httpx.Client) -> None:
    for method, path, status, code in [
        ("GET", "/assets/no-such-file.js", 404, "not_found"),
        ("DELETE", "/health", 405, "method_not_allowed"),
        ("POST", "/openapi.json", 405, "method_not_allowed"),
    ]:
        answer = front.request(method, path)
        assert answer.status_code == status, (path, answer.text)
        assert set(answer.json()) == {"error"}
        assert answer.json()["error"]["code"] == code
    bad_json = front.post(
        "/api/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 422
    assert bad_json.json()["error"]["code"] == "invalid_body"


def test_every_answer_says_nosniff_and_tokens_are_not_stored(front: httpx.Client) -> None:
    email = f"front-{uuid.uuid4().hex[:8]}@example.test"
    registered = front.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Front"}
    )
    assert registered.status_code == 202, registered.text
    assert registered.headers["cache-control"] == "no-store"
    for path in ("/health", "/ready", "/openapi.json", "/docs", "/metrics", "/api/dev/inbox"):
        answer = front.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["cache-control"] == "no-store", path


def test_the_merged_api_docs_need_nothing_but_eccs(front: httpx.Client) -> None:
    assets = assert_served_alone(front, "/docs")
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert "/api/dev/inbox" in front.get("/openapi.json").json()["paths"]


def test_listening_beyond_loopback_warns_that_the_mail_catcher_is_open(work_dir: Path) -> None:
    up = start_up(fresh_data_dir(work_dir), "--host", "0.0.0.0")  # noqa: S104
    try:
        output = " ".join(up.output().split())  # as one line, however the terminal wrapped it
        assert "the mail catcher at /api/dev needs no sign-in" in output
        assert "ECCS_ALLOWED_HOSTS" in output
        with httpx.Client(base_url=up.url, timeout=30) as client:
            for host in (socket.gethostname(), "192.0.2.7", "[2001:db8::7]", "localhost"):
                assert on_host(client, host, "/health").status_code == 200, host
            assert on_host(client, "rebound.example", "/health").status_code == 400
    finally:
        stop(up)
