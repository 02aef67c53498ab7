"""The ECCS services as local processes (`eccs serve <name>`), for tests and benchmarks."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers.postgres import free_port


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_service(name: str, env: dict[str, str], work_dir: Path, *options: str) -> Service:
    """`eccs serve <name>` on a free port, once it answers /ready; `options` go to the command."""
    port = free_port()
    log = work_dir / f"{name}.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "eccs", "serve", name),
            *("--host", "127.0.0.1", "--port", str(port), *options),
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    service = Service(name, f"http://127.0.0.1:{port}", process, log)
    wait_ready(service)
    return service


def wait_ready(service: Service, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited:\n{service.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{service.url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"{service.name} was not ready in {timeout}s:\n{service.log.read_text()[-3000:]}"
    )
