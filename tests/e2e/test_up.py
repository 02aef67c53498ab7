"""`eccs up` as a user runs it: a real process with its own data directory and port, driven only
through its one HTTP front, stopped with SIGINT like Ctrl-C, and checked to leave nothing running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
import pytest

from tests.mailbox import link_token
from tests.servers.postgres import free_port
from tests.waiting import wait_for, wait_until

pytestmark = pytest.mark.slow

EVERY_REPLACEMENT = (
    "DATABASE_URL",
    "POSTGRES_HOST",
    "POSTGRES_DB",
    "POSTGRES_USER",
    "KAFKA_BOOTSTRAP_SERVERS",
    "SMTP_HOST",
    "MONGODB_URL",
)
PASSWORD = "a perfectly fine passphrase"
START_SECONDS = 120.0
T = TypeVar("T")


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def started_processes(self) -> list[psutil.Process]:
        """Everything this `eccs up` runs: its descendants and the PostgreSQL server's tree."""
        processes = psutil.Process(self.process.pid).children(recursive=True)
        postmaster_pid = int((self.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(postmaster_pid)
        return [*processes, postmaster, *postmaster.children(recursive=True)]

    def interrupt(self) -> int:
        """Ctrl-C, and the exit status once everything stopped."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)


def clean_environment(data_dir: Path) -> dict[str, str]:
    environ = {
        k: v for k, v in os.environ.items() if k.removesuffix("_FILE") not in EVERY_REPLACEMENT
    }
    return {
        **environ,
        "ECCS_DATA_DIR": str(data_dir),
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "warning",
    }


def eccs_up(
    data_dir: Path, port: int, *options: str, environ: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log = data_dir.with_suffix(".log").open("ab")
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "eccs"), "up", "--port", str(port), *options],
        env={**clean_environment(data_dir), **(environ or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def data_dir(work_dir: Path) -> Path:
    # Under the suite's 0755 directory: as root, PostgreSQL runs as another user that must reach it.
    return Path(tempfile.mkdtemp(prefix="eccs-up-", dir=work_dir)) / "data"


@pytest.fixture
def start(data_dir: Path) -> Iterator[Callable[[], Up]]:
    """Start `eccs up` on the test's data directory and wait for /health 200; stopped after."""
    running: list[Up] = []

    def start_up() -> Up:
        port = free_port()
        up = Up(
            eccs_up(data_dir, port),
            f"http://127.0.0.1:{port}",
            data_dir,
            data_dir.with_suffix(".log"),
        )
        running.append(up)
        wait_healthy(up)
        return up

    yield start_up
    for up in running:  # after a failure: still stop it the way that stops everything
        if up.process.poll() is None:
            up.process.send_signal(signal.SIGINT)
            try:
                up.process.wait(60)
            except subprocess.TimeoutExpired:
                up.process.kill()


def wait_healthy(up: Up) -> None:
    def healthy() -> bool:
        if up.process.poll() is not None:
            pytest.fail(f"eccs up exited with {up.process.returncode}:\n{up.output()[-3000:]}")
        try:
            return httpx.get(f"{up.url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, "/health answering 200", START_SECONDS)
    except AssertionError as exc:
        pytest.fail(f"{exc}:\n{up.output()[-3000:]}")


def eventually(check: Callable[[], T | None], what: str, seconds: float = 60.0) -> T:
    return wait_for(check, what, seconds, every=0.2)


def register(client: httpx.Client, email: str, name: str = "Tester") -> dict[str, Any]:
    """Sign up as a person does: register, open the link the mail catcher caught, sign in."""
    response = client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert response.status_code == 202, response.text
    message = caught_message(client, email, "Confirm your email address for ECCS")
    token = link_token(message["text"], "/verify-email")
    verified = client.post("/api/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    session: dict[str, Any] = login.json()
    return session


def caught_message(client: httpx.Client, to: str, subject: str) -> dict[str, Any]:
    """The newest message to `to` with this subject, once the mail catcher has it, in full."""

    def arrived() -> str | None:
        inbox = client.get("/api/dev/inbox", params={"page_size": 100, "q": to}).json()["items"]
        found = [item["id"] for item in inbox if to in item["to"] and item["subject"] == subject]
        return found[0] if found else None

    message = client.get(f"/api/dev/inbox/{eventually(arrived, f'{subject!r} to {to}')}")
    assert message.status_code == 200, message.text
    detail: dict[str, Any] = message.json()
    return detail


def send(client: httpx.Client, token: str, to: str, subject: str) -> str:
    response = client.post(
        "/api/emails/send",
        json={"to": [to], "subject": subject, "text": "Sent through eccs up."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def caught(client: httpx.Client, subject_prefix: str) -> list[dict[str, Any]]:
    response = client.get("/api/dev/inbox", params={"page_size": 100, "q": subject_prefix})
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item["subject"].startswith(subject_prefix)]


def all_gone(processes: list[psutil.Process]) -> list[str]:
    """The processes still running (zombies count as gone: nothing runs there any more)."""
    left = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{process.pid} {' '.join(process.cmdline())}")
        except psutil.NoSuchProcess:
            pass
    return left


def test_one_command_runs_everything_and_ctrl_c_stops_it(start: Callable[[], Up]) -> None:
    up = start()
    client = httpx.Client(base_url=up.url, timeout=30)
    health = client.get("/health").json()
    assert health["mode"] == "embedded" and health["status"] == "ready"
    assert set(health["parts"].values()) == {"ok"}, health
    assert "auth" in health["parts"] and "kafka" in health["parts"]

    session = register(client, f"tester-{uuid.uuid4().hex[:8]}@example.test")
    token = session["access_token"]
    subject = f"up-{uuid.uuid4().hex[:8]}"
    ids = [send(client, token, f"reader{i}@example.test", f"{subject} {i}") for i in range(19)]
    refused = send(client, token, "nobody@fail.test", f"{subject} refused")

    delivered = eventually(
        lambda: found if len(found := caught(client, subject)) >= 19 else None, "19 deliveries"
    )
    assert sorted(item["to"][0] for item in delivered) == sorted(
        f"reader{i}@example.test" for i in range(19)
    )

    def failed() -> dict[str, Any] | None:
        email = client.get(f"/api/emails/{refused}", headers={"Authorization": f"Bearer {token}"})
        assert email.status_code == 200, email.text
        return email.json() if email.json()["status"] == "failed" else None

    assert eventually(failed, "the refused email failing")["recipients"][0]["smtp_code"] == 550
    assert len(ids) == 19 and len(caught(client, subject)) == 19  # the refused one never arrives

    spec = client.get("/openapi.json").json()
    assert {"/api/auth/register", "/api/emails/send", "/api/dev/inbox"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
    # The web app once built (its own tests cover it), else a page of links.
    home = client.get("/")
    assert home.status_code == 200
    assert '<div id="root">' in home.text or "/api/dev/inbox" in home.text

    started = up.started_processes()
    assert any(process.name() == "tansu" for process in started)
    assert any(process.name() == "postgres" for process in started)
    assert up.interrupt() == 0, up.output()[-3000:]
    assert all_gone(started) == []
    assert "ECCS stopped" in up.output()


def test_a_restart_keeps_the_data_and_delivers_what_was_left(start: Callable[[], Up]) -> None:
    first = start()
    hint = "user create --email you@example.com --name You --admin"
    eventually(lambda: True if hint in first.output() else None, "the hint to make an admin")
    client = httpx.Client(base_url=first.url, timeout=30)
    email = f"keeper-{uuid.uuid4().hex[:8]}@example.test"
    token = register(client, email)["access_token"]
    subject = f"left-{uuid.uuid4().hex[:8]}"
    for i in range(5):  # stopped at once: some may still be on their way
        send(client, token, f"early{i}@example.test", f"{subject} early {i}")
    assert first.interrupt() == 0, first.output()[-3000:]

    second = start()
    client = httpx.Client(base_url=second.url, timeout=30)
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    for i in range(5):
        send(client, token, f"late{i}@example.test", f"{subject} late {i}")
    # Killed without notice: the broker's messages are lost with it, the database keeps the rest.
    left_behind = second.started_processes()
    second.process.kill()
    second.process.wait(30)

    third = start()
    client = httpx.Client(base_url=third.url, timeout=30)
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    eventually(lambda: True if len(caught(client, subject)) >= 10 else None, "10 deliveries")
    time.sleep(1)
    assert len(caught(client, subject)) == 10  # each exactly once
    started = third.started_processes()
    assert third.interrupt() == 0, third.output()[-3000:]
    assert all_gone(left_behind + started) == []


def test_a_port_in_use_is_one_clear_line(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = eccs_up(data_dir, port)
        assert process.wait(60) != 0
    output = data_dir.with_suffix(".log").read_text()
    assert f"error: port {port} is already in use" in output
    assert "--port or ECCS_HTTP_PORT" in output
    assert "Traceback" not in output
    assert not (data_dir / "postgres").exists()  # it stopped before starting anything
