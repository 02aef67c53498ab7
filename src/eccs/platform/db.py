"""PostgreSQL access: one asyncpg pool per process, and one connection per request or message.

Tables are defined once, as SQLAlchemy models (`platform/schema.py`), and Alembic migrates
them. At run time every statement is SQL written in a domain's repository and run by asyncpg,
prepared once per connection: no ORM stands between a request and the database (on the send
path the ORM cost more CPU per request than PostgreSQL spent answering it: bench/README.md), and
no service loads SQLAlchemy at all.

The edge owns the unit of work. An HTTP request gets a connection from the `Db` dependency
(platform/dependencies.py); a statement on its own commits by itself, and an endpoint that
writes with several statements groups them in `transaction(db)`. Services and repositories
never commit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import asyncpg
import asyncpg.pool
import orjson

from eccs.platform.background import bounded
from eccs.platform.settings import DatabaseSettings

# A row as asyncpg gives it.
Record: TypeAlias = asyncpg.Record
# What a repository gets: a connection of its own, or one lent by the pool.
Connection: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
)
# A server that accepts the connection and then says nothing fails the caller after this.
CONNECT_TIMEOUT_SECONDS = 10.0
CLOSE_SECONDS = 5.0


class Database:
    """A pool of connections, opened lazily: a service starts whether or not PostgreSQL is up,
    and /ready says so."""

    def __init__(
        self, settings: DatabaseSettings, *, application_name: str, by_key: bool = False
    ) -> None:
        """`by_key`: statements on this pool find their rows through an index wherever one
        exists: the planner reads a table whole only when nothing else can answer."""
        self.url = settings.libpq_url()
        self.pool_size = settings.database_pool_size
        self.application_name = application_name
        self.server_settings = {"application_name": application_name, "timezone": "UTC"}
        if by_key:
            # A prepared statement gets one generic plan after its fifth run, kept until the
            # table's statistics change; so does each foreign-key check PostgreSQL prepares for
            # itself. Made while a table is small, that plan reads the whole table to find a
            # row, and goes on doing so as the table grows: claiming and recording deliveries
            # cost 0.9 ms of database time per email that way at 20,000 emails, and checking
            # each recipient's email up to 0.9 ms (bench/README.md). Planning each run instead
            # costs more than that.
            self.server_settings["enable_seqscan"] = "off"
        self._pool: asyncpg.Pool | None = None
        self._turns = asyncio.Semaphore(self.pool_size)  # made again by each open()

    async def open(self) -> None:
        # Connections are handed out in the order they were asked for. asyncpg's pool gives a
        # returned connection to whichever task asks next, and a task that was waiting for it
        # but is woken after a newcomer took it waits again at the back: under load, some
        # requests lost their place over and over (at 64 clients, a p99 five times the median).
        self._turns = asyncio.Semaphore(self.pool_size)
        self._pool = asyncpg.create_pool(
            self.url,
            min_size=0,
            max_size=self.pool_size,
            timeout=CONNECT_TIMEOUT_SECONDS,
            # A connection unused this long is closed: a server restart is met with new ones.
            max_inactive_connection_lifetime=300,
            init=_prepare_connection,
            reset=_nothing_to_reset,
            # Every date computed in SQL (stats buckets, day arithmetic) is in UTC, whatever
            # the server's or the role's default time zone.
            server_settings=self.server_settings,
        )
        await self._pool

    async def close(self) -> None:
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await bounded(self._pool.close(), CLOSE_SECONDS)
            self._pool.terminate()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Database.open() was not called")
        return self._pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection whose statements commit one by one."""
        async with self._turns, self.pool.acquire() as connection:
            yield connection

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection in a transaction, committed when the block ends (rolled back if it
        raises)."""
        async with self._turns, self.pool.acquire() as connection, connection.transaction():
            yield connection

    async def ping(self) -> None:
        async with self.connection() as connection:
            await connection.fetchval("SELECT 1")


@contextlib.asynccontextmanager
async def transaction(
    connection: Connection, *, commit_on: tuple[type[BaseException], ...] = ()
) -> AsyncIterator[Connection]:
    """A transaction on the request's connection: committed when the block ends, rolled back
    if it raises, unless it raises one of `commit_on` (a failure that must be recorded, such
    as a failed sign-in counted by the throttle)."""
    started = connection.transaction()
    await started.start()
    try:
        yield connection
    except commit_on:
        await started.commit()
        raise
    except BaseException:
        await started.rollback()
        raise
    await started.commit()


def like_prefix(text: str | None) -> str | None:
    """A LIKE pattern, in lower case, for text starting with `text` literally (None: any)."""
    return _escaped_for_like(text.lower()) + "%" if text else None


def like_containing(text: str) -> str:
    """An (I)LIKE pattern for text containing `text` literally."""
    return "%" + _escaped_for_like(text) + "%"


def _escaped_for_like(text: str) -> str:
    # % and _ match only themselves; backslash is LIKE's escape character.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _prepare_connection(connection: Connection) -> None:
    # JSON columns in and out as Python values, through orjson.
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=_json_text, decoder=orjson.loads, schema="pg_catalog"
        )


async def _nothing_to_reset(connection: Connection) -> None:
    """What a connection returned to the pool needs beyond the rollback asyncpg always does of
    a transaction left open: nothing. ECCS never changes a session's settings, never LISTENs on
    a pooled connection and takes advisory locks only for a transaction, so the default reset
    (a round trip of RESET ALL, UNLISTEN, CLOSE ALL on every release) would change nothing."""


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()
