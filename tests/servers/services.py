"""The ECCS services as local processes (`eccs serve <name>`), for tests and benchmarks."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers.postgres import free_port
from tests.waiting import wait_until


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_service(
    name: str, env: dict[str, str], work_dir: Path, *options: str, port: int | None = None
) -> Service:
    """`eccs serve <name>` on `port` (a free one by default), once it answers /ready; `options`
    go to the command."""
    port = port or free_port()
    log = work_dir / f"{name}.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "eccs", "serve", name),
            # One process each unless the caller asks for more (the default is one per core).
            *("--host", "127.0.0.1", "--port", str(port), *(options or ("--workers", "1"))),
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    service = Service(name, f"http://127.0.0.1:{port}", process, log)
    wait_ready(service)
    return service


def wait_ready(service: Service, timeout: float = 60.0) -> None:
    def ready() -> bool:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited:\n{service.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{service.url}/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, f"{service.name} ready", timeout)
    except AssertionError as exc:
        raise RuntimeError(f"{exc}:\n{service.log.read_text()[-3000:]}") from exc
