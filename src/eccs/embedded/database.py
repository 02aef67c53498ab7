"""The database of embedded mode as `eccs up` and the other commands use it: its schema brought
up to date, and (for `eccs user create`, `eccs dlq`, `eccs migrate` without DATABASE_URL) the
embedded server of ECCS_DATA_DIR, started for the command when nothing runs it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from eccs.embedded.datadir import DataDir
from eccs.embedded.errors import IncompatibleDataDir
from eccs.embedded.postgres import EmbeddedPostgres, ensure_database
from eccs.embedded.settings import EmbeddedSettings
from eccs.platform.settings import DatabaseSettings, load


def migrate(sqlalchemy_url: str) -> str:
    """Bring the database to this version's schema (blocking); says what it found or did."""
    from eccs.platform import migrations

    head = migrations.head_revision()
    current = asyncio.run(_current_revision(sqlalchemy_url))
    if current == head:
        return f"schema at revision {head}"
    if current is not None and not _known_revision(current):
        raise IncompatibleDataDir(
            f"the database is at revision {current}, which this version of ECCS does not know "
            "(a newer ECCS migrated it): run that version, or move the data directory away "
            "(or set ECCS_DATA_DIR) to start afresh"
        )
    migrations.upgrade(sqlalchemy_url)
    return f"migrated {current or 'an empty database'} → {head}"


async def _current_revision(sqlalchemy_url: str) -> str | None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from eccs.platform import migrations

    engine = create_async_engine(sqlalchemy_url, hide_parameters=True)
    try:
        return await migrations.current_revision(engine)
    finally:
        await engine.dispose()


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from eccs.platform import migrations

    try:
        return ScriptDirectory(str(migrations.SCRIPTS)).get_revision(revision) is not None
    except CommandError:
        return False


@contextlib.contextmanager
def embedded_database(environ: Mapping[str, str], console: Console) -> Iterator[str]:
    """The embedded database of ECCS_DATA_DIR, migrated, for a command other than `eccs up`.

    Uses the server `eccs up` (or anyone) is running; otherwise starts it for the command and
    stops it afterwards.
    """
    data = DataDir(load(EmbeddedSettings, environ).eccs_data_dir)
    data.prepare()
    server = EmbeddedPostgres(data.postgres)
    where = escape(data.shown())
    if server.is_running():
        console.print(f"[dim]using the embedded database in {where}")
    else:
        console.print(f"[dim]starting the embedded database in {where} for this command")
    started = server.start()
    report_opened(started.opened, console)
    try:
        asyncio.run(ensure_database(server.url("postgres")))
        url = server.url()
        migrate(_sqlalchemy(url))
        yield url
    finally:
        server.stop()


def _sqlalchemy(libpq_url: str) -> str:
    return DatabaseSettings(database_url=libpq_url).sqlalchemy_url()


def report_opened(opened: list[Path], console: Console) -> None:
    if opened:
        console.print(
            "[yellow]![/] made traversable by the embedded_postgres user (PostgreSQL may not "
            f"run as root): {escape(', '.join(map(str, opened)))}"
        )
