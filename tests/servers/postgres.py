"""A throwaway PostgreSQL server for the test suite (Debian's PostgreSQL 15 by default).

As root the server runs as the `postgres` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

VERSION = os.environ.get("ECCS_TEST_PG_VERSION", "15")


def bindir() -> Path | None:
    candidate = Path(f"/usr/lib/postgresql/{VERSION}/bin")
    return candidate if (candidate / "initdb").exists() else None


def available() -> str | None:
    if bindir() is None:
        return f"PostgreSQL {VERSION} is not installed (apt-get install postgresql-{VERSION})"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs runuser to start PostgreSQL as the postgres user"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    port: int
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(binaries: Path, *args: str) -> None:
    done = subprocess.run(
        _as_server_user([str(binaries / args[0]), *args[1:]]), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")


# The test suite trades durability for speed; a benchmark passes PostgreSQL's defaults instead.
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}


@contextlib.contextmanager
def running(work_dir: Path) -> Iterator[PostgresServer]:
    """Start a server in a fresh directory (created here, in a traversable /tmp directory)."""
    work_dir = server_dir(work_dir)
    initdb(work_dir / "pgdata")
    with serving(work_dir / "pgdata", TEST_SETTINGS) as server:
        yield server


def server_dir(parent: Path) -> Path:
    """A new directory for a server's data and socket, which the server's user owns."""
    work_dir = Path(tempfile.mkdtemp(prefix="eccs-pg-", dir=parent))
    if os.geteuid() == 0:
        # The server runs as `postgres`, which must own its directory and reach it.
        shutil.chown(work_dir, "postgres", "postgres")
    return work_dir


def initdb(data_dir: Path) -> None:
    options = ("-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    _run(_binaries(), "initdb", "-D", str(data_dir), *options)


@contextlib.contextmanager
def serving(
    data_dir: Path, settings: Mapping[str, str], stop: str = "immediate"
) -> Iterator[PostgresServer]:
    """Run the server on an existing data directory (its socket and log beside it) until exit,
    then stop it in the `pg_ctl` mode given: "fast" leaves a directory that starts without
    recovery, "immediate" (for throwaway servers) does not wait for a checkpoint."""
    binaries = _binaries()
    port = free_port()
    options = f"-p {port} -k {data_dir.parent} -c listen_addresses=127.0.0.1 " + " ".join(
        f"-c {name}={value}" for name, value in settings.items()
    )
    log = data_dir.parent / "server.log"
    _run(binaries, "pg_ctl", "-D", str(data_dir), "-l", str(log), "-o", options, "-w", "start")
    try:
        _wait(port)
        yield PostgresServer(port=port, data_dir=data_dir)
    finally:
        subprocess.run(
            _as_server_user(
                [str(binaries / "pg_ctl"), "-D", str(data_dir), "-m", stop, "-w", "stop"]
            ),
            capture_output=True,
            check=False,
        )


def _binaries() -> Path:
    binaries = bindir()
    if binaries is None:
        raise RuntimeError(available())
    return binaries


def _wait(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL did not listen on port {port} within {timeout}s")
