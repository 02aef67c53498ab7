"""The databases the benchmark starts from, built once and cached by what they are made of.

Each is a PostgreSQL data directory: the schema as `eccs migrate` makes it, the benchmark's users
(signed up through the API, so their credentials are real), and for the first user a history of
`history` emails with their recipients, written straight into the real tables with SQL in chunks
of INSERT ... SELECT generate_series, then VACUUM ANALYZE, as a long-lived table would be.
Building a million emails takes minutes; a copy of the cached directory takes seconds.

The history ends an hour before it was written, so the quota's window (the last hour) holds only
what the benchmark itself sends, whether the directory was just built or is weeks old.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.console import progress
from eccs.identity.tokens import generate_ed25519_pem
from eccs.platform import migrations
from tests.mailbox import LATEST_ACCOUNT_MAIL, SENDER, link_token
from tests.servers import postgres
from tests.servers.services import start_service

CACHE = Path(os.environ.get("ECCS_CACHE_DIR", Path.home() / ".cache" / "eccs")) / "bench-databases"
DATABASE = "eccs"
USERS = 64
# What auth-service needs for account emails and API keys (nothing reads them in a benchmark).
ACCOUNT_SETTINGS = {
    "ECCS_PUBLIC_URL": "http://localhost:8080",
    "API_KEY_SECRET": "the-benchmarks-own-api-key-secret-0123456789",
}
PASSWORD = "benchmark passphrase"  # noqa: S105 (a throwaway account on a throwaway server)
HISTORY_SPAN = timedelta(days=90)
CHUNK = 100_000
# The build needs no durability: the directory is stopped cleanly (a checkpoint) before it is
# cached, and every benchmark runs on a copy with PostgreSQL's default settings.
BUILD_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "max_wal_size": "8GB"}


def address(user: int) -> str:
    return f"bench{user}@example.test"


# One chunk of the history: emails n = $2..$3 of $4, the newest at $5, spread over $6 before it.
# Mostly delivered; 2 % failed (refused at once, or given up on after four attempts); 1 % were
# scheduled and cancelled. One recipient for most, up to three (to, cc, bcc) for some.
HISTORY_SQL = """
WITH history AS MATERIALIZED (
    SELECT md5($1::uuid::text || n)::uuid AS id, n,
           CASE WHEN n % 100 < 97 THEN 'sent' WHEN n % 100 < 99 THEN 'failed'
                ELSE 'cancelled' END AS status,
           n % 100 = 98 AS exhausted,
           $5::timestamptz - ($4 - n) * $6::interval / $4 AS created_at,
           (ARRAY['Your order #' || (100000 + n) || ' has shipped',
                  'Receipt for invoice INV-' || (500000 + n),
                  'Reset your password',
                  'Welcome to Example Shop',
                  'Your sign-in code is ' || (100000 + n * 7919 % 900000)])[1 + n % 5] AS subject,
           CASE WHEN n % 20 < 17 THEN 1 WHEN n % 20 < 19 THEN 2 ELSE 3 END AS recipients
    FROM generate_series($2::bigint, $3::bigint) AS n
), outcome AS MATERIALIZED (
    SELECT h.*,
           h.created_at + (40 + n % 200) * interval '1 millisecond'
               + CASE WHEN h.exhausted THEN interval '15 minutes' ELSE interval '0' END AS done_at,
           CASE WHEN h.status = 'cancelled' THEN 0 WHEN h.exhausted THEN 4 ELSE 1 END AS attempts,
           CASE WHEN h.status <> 'failed' THEN NULL
                WHEN h.exhausted THEN '451 4.3.0 Try again later'
                ELSE '550 5.1.1 Recipient address rejected: User unknown' END AS error
    FROM history h
), emails_added AS (
    INSERT INTO emails (id, user_id, sender_name, sender_email, subject, text_body, status,
                        attempts, last_error, failure_reason, failed_at, scheduled_at,
                        created_at, updated_at, sent_at, to_addresses, recipient_count)
    SELECT o.id, u.id, u.name, u.email, o.subject,
           'Hello,' || E'\\n\\n' || o.subject || '. The details are in your account, where you'
               || ' can follow everything at any time.' || E'\\n\\n' || 'Example Shop'
               || E'\\n' || 'You receive this email because you have an account with us.',
           o.status, o.attempts, o.error,
           CASE WHEN o.status <> 'failed' THEN NULL
                WHEN o.exhausted THEN 'exhausted' ELSE 'refused' END,
           CASE WHEN o.status = 'failed' THEN o.done_at END,
           CASE WHEN o.status = 'cancelled' THEN o.created_at + interval '1 day' END,
           o.created_at, o.done_at,
           CASE WHEN o.status = 'sent' THEN o.done_at END,
           -- the first recipient (position 0) is the one in To, as below
           ARRAY['customer' || ((o.n * 7919) % 250000) || '@'
                 || (ARRAY['example.com', 'example.org', 'mail.example.net', 'shop.example'])
                    [1 + o.n % 4]],
           o.recipients
    FROM outcome o, users u
    WHERE u.id = $1::uuid
)
INSERT INTO email_recipients (email_id, position, kind, address, status, attempts, smtp_code,
                              smtp_reply, updated_at)
SELECT o.id, p, (ARRAY['to', 'cc', 'bcc'])[p + 1],
       'customer' || ((o.n * 7919 + p * 104729) % 250000) || '@'
           || (ARRAY['example.com', 'example.org', 'mail.example.net', 'shop.example'])
              [1 + (o.n + p) % 4],
       CASE WHEN o.status = 'sent' THEN 'accepted'
            WHEN o.status = 'failed' AND NOT o.exhausted THEN 'refused' ELSE 'abandoned' END,
       o.attempts,
       CASE WHEN o.status = 'sent' THEN 250 WHEN o.status = 'failed' THEN
           CASE WHEN o.exhausted THEN 451 ELSE 550 END END,
       CASE WHEN o.status = 'sent'
            THEN '250 2.0.0 Ok: queued as ' || upper(substr(md5(o.id::text || p), 1, 10))
            ELSE o.error END,
       o.done_at
FROM outcome o, generate_series(0, o.recipients - 1) AS p
"""


def data_dir(history: int) -> Path:
    """The cached data directory with `history` emails for the first user, built if missing."""
    cached = CACHE / schema_key() / f"history-{history}"
    if not (cached / "PG_VERSION").exists():
        _build(history, cached)
    return cached


def schema_key() -> str:
    """The migration head and a digest of everything that shapes the data (the migrations
    themselves, the history's SQL, the users)."""
    made_of = hashlib.sha256()
    for script in sorted(migrations.SCRIPTS.rglob("*.py")):
        made_of.update(script.read_bytes())
    made_of.update(f"{HISTORY_SQL}{USERS}{PASSWORD}{HISTORY_SPAN}".encode())
    return f"{migrations.head_revision()}-{made_of.hexdigest()[:12]}"


def _build(history: int, cached: Path) -> None:
    progress(f"Building the database with {history:,} emails of history (cached in {cached})…")
    work = Path(tempfile.mkdtemp(prefix="eccs-bench-seed-"))
    work.chmod(0o755)  # PostgreSQL runs as another user when this runs as root
    try:
        server_dir = postgres.server_dir(work)
        postgres.initdb(server_dir / "pgdata")
        with postgres.serving(server_dir / "pgdata", BUILD_SETTINGS, stop="fast") as server:
            url = _migrated(server)
            users = _signed_up(url, work)
            asyncio.run(_add_history(url, users[0], history))
        _keep(server_dir / "pgdata", cached)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _migrated(server: postgres.PostgresServer) -> str:
    asyncio.run(_execute(server.url(), f"CREATE DATABASE {DATABASE}"))
    url = server.url(DATABASE)
    eccs = [sys.executable, "-m", "eccs", "migrate"]
    subprocess.run(eccs, env={**os.environ, "DATABASE_URL": url}, check=True)
    return url


def _signed_up(url: str, work: Path) -> list[uuid.UUID]:
    """Sign the users up through auth-service as people do (each follows the link emailed to
    confirm the address); their ids, in order."""
    with _auth_service(url, work) as auth_url, httpx.Client(base_url=auth_url) as http:
        ids = []
        for user in range(USERS):
            body = {"email": address(user), "password": PASSWORD, "name": f"Shop {user}"}
            http.post("/api/auth/register", json=body).raise_for_status()
            token = link_token(asyncio.run(_account_mail(url, address(user))), "/verify-email")
            http.post("/api/auth/verify-email", json={"token": token}).raise_for_status()
            ids.append(_user_id(http, user))
    progress(f"  {USERS} users signed up")
    return ids


async def _account_mail(url: str, email: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval(LATEST_ACCOUNT_MAIL, SENDER, email))
    finally:
        await connection.close()


def _user_id(http: httpx.Client, user: int) -> uuid.UUID:
    signed_in = http.post("/api/auth/login", json={"email": address(user), "password": PASSWORD})
    signed_in.raise_for_status()
    return uuid.UUID(signed_in.json()["user"]["id"])


@contextmanager
def _auth_service(url: str, work: Path) -> Iterator[str]:
    key = work / "jwt.pem"
    key.write_text(generate_ed25519_pem())
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_PRIVATE_KEY_FILE": str(key),
        **ACCOUNT_SETTINGS,
        "BCRYPT_ROUNDS": "4",  # signing in is not measured: keep it cheap
        "REGISTRATIONS_PER_ADDRESS": str(USERS),
    }
    service = start_service("auth", env, work, "--workers", "1")
    try:
        yield service.url
    finally:
        service.process.terminate()
        service.process.wait(30)


async def _add_history(url: str, user: uuid.UUID, history: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        newest = datetime.now(UTC) - timedelta(hours=1)
        for first in range(1, history + 1, CHUNK):
            last = min(first + CHUNK - 1, history)
            await connection.execute(HISTORY_SQL, user, first, last, history, newest, HISTORY_SPAN)
            progress(f"  history: {last:,} of {history:,} emails")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def _execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _keep(data: Path, cached: Path) -> None:
    """Copy the stopped directory into the cache (owner and modes kept); builds for another
    schema are deleted (a million emails take about a gigabyte)."""
    partial = cached.with_name(cached.name + ".partial")
    if CACHE.exists():
        for other in CACHE.iterdir():
            if other != cached.parent:
                shutil.rmtree(other, ignore_errors=True)
    shutil.rmtree(partial, ignore_errors=True)
    cached.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(data), str(partial)], check=True)
    partial.rename(cached)
    progress(f"  cached: {cached}")


def copy_of(cached: Path, parent: Path) -> Path:
    """A copy of a cached data directory to run a server on, in a new directory under `parent`."""
    data = postgres.server_dir(parent) / "pgdata"
    subprocess.run(["cp", "-a", str(cached), str(data)], check=True)
    return data
