"""A MongoDB-wire server (FerretDB v1 on PostgreSQL) as a local process, for tests.

The binary is built from scripts/servers/ferretdb (a small main embedding FerretDB) by
build.sh and cached in ~/.cache/eccs/ferretdb-<version>. Stdlib only.

    with ferretdb.running(tmp_path, "postgresql://postgres@127.0.0.1:5432/ferretdb") as mongo:
        client = pymongo.MongoClient(mongo.url)

FerretDB keeps its data in the PostgreSQL database named in the URL (one PostgreSQL schema
per MongoDB database); that database must exist.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.servers.processes import die_with_parent, forget, recv_exact, stopped_at_exit

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "scripts" / "servers" / "ferretdb" / "build.sh"


def available() -> str | None:
    """None when FerretDB can run here, else why not (for pytest.skip)."""
    if not shutil.which("go") and not _cached_binary():
        return "go is not installed (needed once to build FerretDB)"
    return None


class FerretServer:
    def __init__(self, binary: Path, work_dir: Path, postgres_url: str) -> None:
        self.binary = binary
        self.postgres_url = postgres_url
        self.port = _free_port()
        self.log_file = Path(work_dir) / "ferretdb.log"
        self._proc: subprocess.Popen[bytes] | None = None
        Path(work_dir).mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 30.0) -> None:
        if self._proc is not None and self._proc.poll() is None:
            raise RuntimeError("FerretDB is already running")
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(
                [
                    str(self.binary),
                    f"-listen-addr=127.0.0.1:{self.port}",
                    f"-postgresql-url={self.postgres_url}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
            )
        stopped_at_exit(self)
        start = time.monotonic()
        refused_since = None
        while time.monotonic() - start < timeout:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                raise RuntimeError(f"FerretDB exited with {code}\n{self.log_tail()}")
            # FerretDB's ping also asks PostgreSQL, so a wrong URL fails here, not in the test.
            answer = _ping(self.port)
            if answer:
                return
            if answer is False:  # FerretDB answers, PostgreSQL does not: give it 5 s, not 30
                refused_since = refused_since or time.monotonic()
                if time.monotonic() - refused_since > 5:
                    break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"FerretDB not ready after {time.monotonic() - start:.0f}s (is PostgreSQL "
            f"reachable at {self.postgres_url}, and does the database exist?)\n"
            f"{self.log_tail()}"
        )

    def stop_now(self) -> None:
        self.stop(timeout=2)

    def stop(self, timeout: float = 10.0) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        forget(self)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.log_file} ---\n{tail}"


@contextlib.contextmanager
def running(work_dir: Path, postgres_url: str) -> Iterator[FerretServer]:
    """Start FerretDB on a free port against postgres_url; stop it on exit."""
    reason = available()
    if reason:
        raise RuntimeError(f"cannot run FerretDB: {reason}")
    server = FerretServer(ensure_built(), Path(work_dir), postgres_url)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def ensure_built() -> Path:
    """The FerretDB binary, building it on first use (a few minutes from a cold Go cache)."""
    out = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{BUILD} failed:\n{out.stdout}\n{out.stderr}")
    return Path(out.stdout.strip().splitlines()[-1])


def _cached_binary() -> bool:
    cache = Path(os.environ.get("ECCS_CACHE_DIR", Path.home() / ".cache" / "eccs"))
    return any(cache.glob("ferretdb-*/ferretdb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping(port: int) -> bool | None:
    """Send {ping: 1, $db: "admin"} as an OP_MSG: True when the reply says ok: 1.0, False
    on any other reply, None when nothing answers yet."""
    elements = (
        b"\x10ping\x00"
        + struct.pack("<i", 1)
        + b"\x02$db\x00"
        + struct.pack("<i", 6)
        + b"admin\x00"
    )
    doc = struct.pack("<i", 4 + len(elements) + 1) + elements + b"\x00"
    body = struct.pack("<I", 0) + b"\x00" + doc  # flagBits, section kind 0, the command
    # messageLength, requestID, responseTo, opCode (2013 = OP_MSG)
    header = struct.pack("<iiii", 16 + len(body), 1, 0, 2013)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(header + body)
            length = struct.unpack("<i", recv_exact(s, 4))[0]
            reply = recv_exact(s, length - 4)
    except OSError:
        return None
    return b"\x01ok\x00" + struct.pack("<d", 1.0) in reply
