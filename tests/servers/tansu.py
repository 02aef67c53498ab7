"""tansu, the Kafka-protocol broker embedded mode runs, as a test server that can be restarted on
the same port (it keeps nothing across a restart: its storage is memory)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from eccs.embedded.broker import broker_binary
from tests.servers.postgres import free_port


class TansuServer:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        url = f"tcp://{self.bootstrap}"
        self.process = subprocess.Popen(
            [
                str(broker_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin"},
        )
        self._wait_listening()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def _wait_listening(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.02)
        raise RuntimeError(f"tansu did not listen on {self.port}: {self.log.read_text()[-2000:]}")


@contextlib.contextmanager
def running(work_dir: Path) -> Iterator[TansuServer]:
    work_dir.mkdir(parents=True, exist_ok=True)
    server = TansuServer(work_dir / "tansu.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
