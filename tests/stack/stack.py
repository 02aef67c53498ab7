"""The compose stack under test, driven the way a person drives it: `scripts/containers/stack.sh`
(what `make stack` and `make stack-down` run) to bring it up and down, podman to stop, start and
kill its containers, and HTTPS through the gateway for everything else."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.mailbox import link_token

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts" / "containers"
PODMAN = SCRIPTS / "podman"
STACK = SCRIPTS / "stack.sh"
# A password the API accepts (10+ bytes, not a common one).
PASSWORD = "copper-kettles-whistle-9"


def podman(*args: str, check: bool = True, timeout: float = 120) -> str:
    result = subprocess.run(
        [str(PODMAN), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_subnet() -> str:
    """A /24 for the stack's `edge` network that no podman network on this machine uses."""
    used = [
        ipaddress.ip_network(subnet["subnet"])
        for network in json.loads(podman("network", "inspect", *_network_names()) or "[]")
        for subnet in network.get("subnets") or []
    ]
    for third in range(200, 250):
        candidate = ipaddress.ip_network(f"10.89.{third}.0/24")
        if not any(candidate.overlaps(other) for other in used):
            return str(candidate)
    raise AssertionError("no free 10.89.200-249.0/24 subnet for the test stack")


def _network_names() -> list[str]:
    return podman("network", "ls", "--format", "{{.Name}}").split()


@dataclass
class Stack:
    """A stack brought up by stack.sh with its own project name, ports, subnet and data."""

    work_dir: Path
    project: str = field(default_factory=lambda: f"eccs-test-{secrets.token_hex(3)}")
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    prometheus_port: int = field(default_factory=free_port)
    alertmanager_port: int = field(default_factory=free_port)
    jaeger_port: int = field(default_factory=free_port)
    victorialogs_port: int = field(default_factory=free_port)
    zipkin_port: int = field(default_factory=free_port)
    log: Path = field(init=False)
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.work_dir / "stack.log"
        self.env = {
            **os.environ,
            "ECCS_STACK_PROJECT": self.project,
            "ECCS_STACK_DIR": str(self.work_dir / "stack"),
            "ECCS_STACK_HTTPS_PORT": str(self.https_port),
            "ECCS_STACK_HTTP_PORT": str(self.http_port),
            "ECCS_PROMETHEUS_PORT": str(self.prometheus_port),
            "ECCS_ALERTMANAGER_PORT": str(self.alertmanager_port),
            "ECCS_JAEGER_PORT": str(self.jaeger_port),
            "ECCS_VICTORIALOGS_PORT": str(self.victorialogs_port),
            "ECCS_ZIPKIN_PORT": str(self.zipkin_port),
            "ECCS_STACK_EDGE_SUBNET": free_subnet(),
            "ECCS_CORS_ORIGINS": "https://app.example.test",
            # Fast enough to sign in many times a test, still bcrypt.
            "BCRYPT_ROUNDS": "4",
            # A killed worker's emails are published again after this long (see test_delivery).
            "EMAIL_VISIBILITY_TIMEOUT_SECONDS": "20",
            # A backup every minute: the backup test waits for the next one.
            "ECCS_BACKUP_SCHEDULE": "* * * * *",
        }

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def script(self, command: str, **env: str) -> subprocess.CompletedProcess[str]:
        """stack.sh COMMAND, its output appended to the log; raises with the output's tail."""
        with self.log.open("a") as log:
            log.write(f"\n$ stack.sh {command}\n")
        result = subprocess.run(
            [
                "bash",
                "-c",
                f'"{STACK}" {command} 2>&1 | tee -a "{self.log}"; exit ${{PIPESTATUS[0]}}',
            ],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"stack.sh {command} failed:\n{result.stdout[-4000:]}")
        return result

    def containers_left(self) -> list[str]:
        """The stack's containers and networks that exist now."""
        label = f"label=com.docker.compose.project={self.project}"
        containers = podman("ps", "-a", "--format", "{{.Names}}", "--filter", label).split()
        networks = [name for name in _network_names() if name.startswith(f"{self.project}_")]
        return containers + networks

    def containers(self, service: str) -> list[str]:
        return podman(
            "ps", "-a", "--format", "{{.Names}}",
            "--filter", f"label=com.docker.compose.project={self.project}",
            "--filter", f"label=com.docker.compose.service={service}",
        ).split()  # fmt: skip

    def container(self, service: str) -> str:
        [name] = self.containers(service)
        return name

    def logs(self, container: str) -> str:
        result = subprocess.run(
            [str(PODMAN), "logs", container], capture_output=True, text=True, timeout=60
        )
        return result.stdout + result.stderr

    def metrics(self, service: str, port: int) -> str:
        """A service's Prometheus metrics, read inside its container (they are not routed)."""
        script = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics').read().decode())"
        return podman("exec", self.container(service), "python3", "-c", script)

    def wait_healthy(self, container: str, within: float = 120) -> None:
        for _ in poll(f"{container} healthy", within, step=1):
            if healthy(container):
                return

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, verify=False, headers=headers, timeout=30)  # noqa: S501 (checked in test_gateway)

    def sign_up(self, label: str) -> Account:
        """A new account as a person makes one: registered, its address confirmed with the link
        the mail catcher caught, signed in (two requests under the gateway's sign-in limit)."""
        email = f"{label}.{secrets.token_hex(4)}@example.test"
        with self.client() as client:
            registered = client.post(
                "/api/auth/register", json={"email": email, "password": PASSWORD, "name": label}
            )
            assert registered.status_code == 202, registered.text
            verified = client.post("/api/auth/verify-email", json={"token": self.link_for(email)})
            assert verified.status_code == 200, verified.text
        return self.sign_in(email)

    def account(self, label: str) -> Account:
        """A new account made as an operator makes one (`eccs user create`, verified from the
        start), signed in: one request under the gateway's sign-in limit."""
        email = f"{label}.{secrets.token_hex(4)}@example.test"
        podman(
            "exec", self.container("auth"),
            "eccs", "user", "create", "--email", email, "--name", label, "--password", PASSWORD,
        )  # fmt: skip
        return self.sign_in(email)

    def sign_in(self, email: str) -> Account:
        with self.client() as client:
            signed_in = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        body = signed_in.json()
        return Account(email, body["user"]["id"], body["access_token"])

    def link_for(self, email: str) -> str:
        """The token of the verification link the mail catcher caught for `email`."""
        with self.client() as client:
            for _ in poll(f"the verification email to {email}", 60):
                inbox = client.get("/api/dev/inbox", params={"q": email}).json()["items"]
                if inbox:
                    message = client.get(f"/api/dev/inbox/{inbox[0]['id']}").json()
                    return link_token(message["text"], "/verify-email")
        raise AssertionError("unreachable")


def healthy(container: str) -> bool:
    """The container's own health check passes now."""
    check = [str(PODMAN), "healthcheck", "run", container]
    return subprocess.run(check, capture_output=True, timeout=60, check=False).returncode == 0


@dataclass
class Account:
    email: str
    id: str
    token: str


def poll(what: str, within: float, step: float = 0.5) -> Iterator[int]:
    """Attempts numbered from 1 until `within` seconds have passed; then an AssertionError."""
    deadline = time.monotonic() + within
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        yield attempt
        time.sleep(step)
    raise AssertionError(f"{what}: not within {within}s")
