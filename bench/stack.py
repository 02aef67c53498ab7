"""The services under benchmark: a migrated database and the services as deployed, on it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from eccs.identity.tokens import generate_ed25519_pem
from eccs.platform import migrations
from tests.conftest import Database, Service, start_service
from tests.servers import postgres

# Generous enough that no benchmark runs into a limit meant for abuse.
BENCH_ENV = {"BCRYPT_ROUNDS": "4", "LOG_LEVEL": "warning", "SEND_QUOTA_PER_HOUR": "100000000"}


@contextmanager
def running(
    server: postgres.PostgresServer,
    work: Path,
    names: list[str],
    env: Mapping[str, str],
    workers: int = 1,
) -> Iterator[tuple[str, dict[str, Service]]]:
    """Create and migrate the `eccs` database, start the named services (auth first, the others
    pointed at it); yields the database URL and the services by name, stopped on exit."""
    Database(server.url()).query("CREATE DATABASE eccs")
    url = server.url("eccs")
    migrations.upgrade(url.replace("postgresql://", "postgresql+asyncpg://"))
    key = work / "jwt.pem"
    key.write_text(generate_ed25519_pem())
    full_env = {
        **os.environ,
        **BENCH_ENV,
        **env,
        "DATABASE_URL": url,
        "JWT_PRIVATE_KEY_FILE": str(key),
    }
    started: dict[str, Service] = {}
    try:
        for name in names:
            started[name] = start_service(name, full_env, work, "--workers", str(workers))
            if name == "auth":
                full_env["AUTH_SERVICE_URL"] = started[name].url
        yield url, started
    finally:
        for service in reversed(started.values()):
            service.process.terminate()
            service.process.wait(30)
