"""End-to-end benchmark: emails per second from API accept to SMTP 250, into Postfix's smtp-sink.

Starts its own PostgreSQL 15, Apache Kafka 4.4 and smtp-sink, the three services as in production
(`eccs serve ...`), then:

1. measures smtp-source's raw rate into the same sink (the SMTP ceiling on this machine);
2. sends N emails through `POST /api/emails/send` as fast as C concurrent clients can, and reports
   the throughput from the first accept to the last SMTP 250;
3. sends at half that rate for a while and reports the accept → 250 latency percentiles.

Latency is measured from PostgreSQL: `created_at` (accepted) to the recipient's `updated_at`, which
the worker writes right after the sink's 250. Run:

    .venv/bin/python -m bench.end_to_end [--emails 10000] [--clients 64]

Needs Debian's postfix (smtp-sink, smtp-source). Record the table and the machine in
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from bench import stack
from tests.servers import kafka, postgres

BODY = {"subject": "Benchmark", "text": "Hello from the end-to-end benchmark."}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--paced-seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="processes per service")
    args = parser.parse_args()
    if not (shutil.which("smtp-sink") and shutil.which("smtp-source")):
        sys.exit("smtp-sink and smtp-source are needed: apt-get install postfix")
    work = Path(tempfile.mkdtemp(prefix="eccs-bench-e2e-"))
    work.chmod(0o755)
    with postgres.running(work) as pg, kafka.running(work / "kafka") as broker:
        sink_port = postgres.free_port()
        sink = _start_sink(sink_port)
        try:
            raw_rate = _smtp_source_rate(sink_port, min(args.emails, 10_000))
            rows = _run(pg, broker.bootstrap, sink_port, work, args)
        finally:
            sink.terminate()
    _print(raw_rate, rows)


def _start_sink(port: int) -> subprocess.Popen[bytes]:
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen(["smtp-sink", "-a", *user, f"127.0.0.1:{port}", "1024"])
    time.sleep(0.5)
    return sink


def _smtp_source_rate(port: int, messages: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            "smtp-source",
            "-s",
            "32",
            "-m",
            str(messages),
            "-t",
            "bench@example.test",
            f"127.0.0.1:{port}",
        ],
        check=True,
    )
    return messages / (time.perf_counter() - started)


def _run(
    pg: postgres.PostgresServer,
    bootstrap: str,
    sink_port: int,
    work: Path,
    args: argparse.Namespace,
) -> list[tuple[str, str]]:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink_port),
        "SMTP_STARTTLS": "false",
        "SMTP_FROM": "bench@eccs.test",
    }
    names = ["auth", "email", "notification"]
    with stack.running(pg, work, names, env, args.workers) as (url, services):
        return asyncio.run(_measure(services["email"].url, services["auth"].url, url, args))


async def _measure(
    email_url: str, auth_url: str, database_url: str, args: argparse.Namespace
) -> list[tuple[str, str]]:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=256)) as http:
        tokens = [await _sign_up(http, auth_url, n) for n in range(args.clients)]
        first = await _burst(http, email_url, tokens, args.emails)
        burst = await _wait_delivered(database_url, first, args.emails)
        rate = burst["count"] / burst["seconds"]
        second = await _paced(http, email_url, tokens, rate / 2, args.paced_seconds)
        paced = await _wait_delivered(database_url, second[0], second[1])
    return [
        ("emails (burst)", f"{burst['count']:,}"),
        ("accept → SMTP 250, emails/s", f"{rate:,.0f}"),
        ("burst p50 / p99 latency, ms", f"{burst['p50']:.0f} / {burst['p99']:.0f}"),
        (f"paced at {rate / 2:,.0f}/s: emails", f"{paced['count']:,}"),
        ("paced p50 / p99 latency, ms", f"{paced['p50']:.0f} / {paced['p99']:.0f}"),
    ]


async def _sign_up(http: httpx.AsyncClient, auth_url: str, n: int) -> str:
    response = await http.post(
        f"{auth_url}/api/auth/register",
        json={"email": f"e2e{n}@example.test", "password": "benchmark passphrase", "name": "B"},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def _send(http: httpx.AsyncClient, email_url: str, token: str, n: int) -> None:
    # A kept-alive connection the server has just closed fails once on reuse; that is the
    # client's pool, not the API, so it is tried again on a fresh connection.
    for attempt in range(3):
        try:
            response = await http.post(
                f"{email_url}/api/emails/send",
                json={**BODY, "to": [f"rcpt{n}@example.test"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            break
        except httpx.TransportError:
            if attempt == 2:
                raise
    response.raise_for_status()


async def _burst(http: httpx.AsyncClient, email_url: str, tokens: list[str], count: int) -> float:
    """Send `count` emails from one client per token; returns when the burst started."""
    started = time.time()
    counter = iter(range(count))

    async def client(token: str) -> None:
        for n in counter:
            await _send(http, email_url, token, n)

    await asyncio.gather(*(client(token) for token in tokens))
    return started


async def _paced(
    http: httpx.AsyncClient, email_url: str, tokens: list[str], rate: float, seconds: int
) -> tuple[float, int]:
    started = time.time()
    count = int(rate * seconds)
    tasks = []
    for n in range(count):
        await asyncio.sleep(max(0.0, started + n / rate - time.time()))
        tasks.append(asyncio.create_task(_send(http, email_url, tokens[n % len(tokens)], n)))
    await asyncio.gather(*tasks)
    return started, count


async def _wait_delivered(database_url: str, since: float, count: int) -> dict[str, float]:
    connection = await asyncpg.connect(database_url)
    try:
        while True:
            row = await connection.fetchrow(_DELIVERED, since)
            if row["delivered"] >= count:
                return {
                    "count": row["delivered"],
                    "seconds": float(row["span"]),
                    "p50": float(row["p50"]),
                    "p99": float(row["p99"]),
                }
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


_DELIVERED = """
SELECT count(*) AS delivered,
       extract(epoch FROM max(r.updated_at) - min(e.created_at)) AS span,
       1000 * percentile_cont(0.5) WITHIN GROUP
           (ORDER BY extract(epoch FROM r.updated_at - e.created_at)) AS p50,
       1000 * percentile_cont(0.99) WITHIN GROUP
           (ORDER BY extract(epoch FROM r.updated_at - e.created_at)) AS p99
FROM emails e JOIN email_recipients r ON r.email_id = e.id
WHERE e.created_at >= to_timestamp($1) AND r.status = 'accepted'
"""


def _print(raw_rate: float, rows: list[tuple[str, str]]) -> None:
    print(f"{'measure':<40}{'value':>16}")
    print(f"{'smtp-source → smtp-sink, messages/s':<40}{raw_rate:>16,.0f}")
    for name, value in rows:
        print(f"{name:<40}{value:>16}")


if __name__ == "__main__":
    main()
