"""A real Apache Kafka (KRaft, combined broker + controller) as a local process, for tests.

The jars come from Maven Central through scripts/servers/kafka/fetch.sh (cached in
~/.cache/eccs/kafka-<version>). Stdlib only, so it imports anywhere.

    with kafka.running(tmp_path) as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        ...
        broker.stop(); broker.start()   # same port, same log dir: topics and offsets survive
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.servers.processes import die_with_parent, forget, recv_exact, stopped_at_exit

REPO = Path(__file__).resolve().parents[2]
FETCH = REPO / "scripts" / "servers" / "kafka" / "fetch.sh"

# Tuned for a single-node test broker on a small (2-core) machine.
_SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs={log_dir}
# One node: every internal topic must fit replication factor 1, or group commits and
# transactions wait forever for replicas that never come.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
# Fewer partitions for internal topics: creating the default 50 makes the first
# consumer-group join (or transaction) slow.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
num.partitions=1
auto.create.topics.enable=true
# Consumers join a group at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# After a SIGKILL the restarted node must wait out its own old broker session before it
# may register again (DUPLICATE_BROKER_REGISTRATION): 9 s by default, 3 s here.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=4
"""

# INFO from Kafka itself (the readiness line), but not the config dumps, which would
# push any real error out of the log tail we show on failure.
_LOG4J2 = """\
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
logger.config.name = org.apache.kafka.common.config
logger.config.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""

# C1-only JIT and the serial GC make the JVM start about twice as fast; a test broker
# never runs long enough for C2 to pay off.
_JVM_OPTS = [
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
]


def available() -> str | None:
    """None when Kafka can run here, else why not (for pytest.skip)."""
    if not shutil.which("java"):
        return "java (17+) is not installed"
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
        m = re.search(r'version "(\d+)', out.stderr)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"java -version failed: {exc}"
    if not m or int(m.group(1)) < 17:
        return f"Kafka 4 needs Java 17+, found: {out.stderr.splitlines()[:1]}"
    if not shutil.which("mvn") and not _cached_home():
        return "mvn is not installed (needed once to fetch the Kafka jars)"
    return None


class KafkaServer:
    """One Kafka node. Ports and log dir are fixed at creation, so start() after
    stop() or kill() brings back the same broker with its data."""

    def __init__(self, home: Path, work_dir: Path) -> None:
        self.home = home
        self.work_dir = work_dir
        self.port = _free_port()
        self.controller_port = _free_port()
        self.log_dir = work_dir / "data"
        self.log_file = work_dir / "kafka.log"
        self.config = work_dir / "server.properties"
        self._proc: subprocess.Popen[bytes] | None = None
        work_dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            _SERVER_PROPERTIES.format(
                port=self.port, controller_port=self.controller_port, log_dir=self.log_dir
            )
        )
        (work_dir / "log4j2.properties").write_text(_LOG4J2)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            *_JVM_OPTS,
            f"-Dlog4j2.configurationFile={self.work_dir / 'log4j2.properties'}",
            "-cp",
            str(self.home / "libs" / "*"),
            main,
            *args,
        ]

    def _format(self) -> None:
        if (self.log_dir / "meta.properties").exists():
            return  # formatted on an earlier start: keep the data
        # KRaft needs a cluster id in storage before the first start; --standalone makes
        # this node the sole controller voter.
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        out = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                # Joined to its flag: an id may begin with "-" (base64url), which the tool's
                # argument parser would otherwise take for an option (one start in 64 failed).
                f"--cluster-id={cluster_id}",
                "-c",
                str(self.config),
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"Kafka storage format failed:\n{out.stdout}\n{out.stderr}")

    def start(self, timeout: float = 60.0) -> None:
        if self.running:
            raise RuntimeError("Kafka is already running")
        self._format()
        with open(self.log_file, "ab") as log:
            log.write(f"\n==== start {time.ctime()} ====\n".encode())
            log.flush()
            offset = log.tell()
            self._proc = subprocess.Popen(
                self._java("kafka.Kafka", str(self.config)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
            )
        stopped_at_exit(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                raise RuntimeError(f"Kafka exited with {code}\n{self.log_tail()}")
            # The log line means the broker is unfenced; ApiVersions proves the listener serves.
            started = b"Kafka Server started" in _read_from(self.log_file, offset)
            if started and _api_versions_ok(self.port):
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"Kafka not ready after {timeout:.0f}s\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful shutdown (SIGTERM: the log is flushed and closed cleanly)."""
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

    def stop_now(self) -> None:
        self.kill()

    def kill(self) -> None:
        """SIGKILL: a crash, for recovery tests."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        forget(self)

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it runs (a benchmark measures its CPU)."""
        return self._proc.pid if self._proc is not None and self.running else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.log_file} ---\n{tail}"


@contextlib.contextmanager
def running(work_dir: Path) -> Iterator[KafkaServer]:
    """Start a fresh single-node Kafka in work_dir (use an empty one: ports are chosen
    anew); stop it, whatever happens, on exit."""
    reason = available()
    if reason:
        raise RuntimeError(f"cannot run Kafka: {reason}")
    server = KafkaServer(ensure_fetched(), Path(work_dir))
    try:
        server.start()
        yield server
    finally:
        server.stop()


def ensure_fetched() -> Path:
    """The Kafka home (holding libs/), fetching the jars on first use."""
    out = subprocess.run(["bash", str(FETCH)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{FETCH} failed:\n{out.stdout}\n{out.stderr}")
    return Path(out.stdout.strip().splitlines()[-1])


def _cached_home() -> bool:
    cache = Path(os.environ.get("ECCS_CACHE_DIR", Path.home() / ".cache" / "eccs"))
    return any(cache.glob("kafka-*/.complete"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_from(path: Path, offset: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read()


def _api_versions_ok(port: int) -> bool:
    """Send a Kafka ApiVersions v0 request; True when the broker answers without error."""
    client_id = b"eccs-probe"
    # Request header v1: api_key=18 (ApiVersions), api_version=0, correlation_id, client_id.
    body = struct.pack(">hhih", 18, 0, 42, len(client_id)) + client_id
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            head = recv_exact(s, 10)  # size, correlation_id, error_code
    except OSError:
        return False
    _, correlation_id, error_code = struct.unpack(">iih", head)
    return bool(correlation_id == 42 and error_code == 0)
