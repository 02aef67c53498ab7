"""PostgreSQL's LISTEN on a connection of its own, kept open while the service runs: for what
must be heard the moment it commits (new outbox rows, revocations).

A dropped connection is noticed at once (or by a keep-alive query, for a peer that died without
a word) and reopened with backoff. Announcements sent while not listening are lost: whoever
listens is told (`on_listening`, `on_lost`) so as to catch up or to trust nothing cached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import structlog

from eccs.platform.background import wait_for_event
from eccs.platform.logging import describe

log = structlog.get_logger("eccs.listening")

FAILURE_LOG_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 10.0


class FailureLog:
    """Logs the first failure of an outage at once, then one line per period with a count.

    An outage of hours is a handful of lines, not one per round, and never one per row.
    """

    def __init__(self, what: str, every: float = FAILURE_LOG_SECONDS) -> None:
        self.what = what
        self.every = every
        self.failures = 0
        self.last_logged: float | None = None

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        if self.last_logged is None or now - self.last_logged >= self.every:
            log.warning(f"{self.what}_failed", error=describe(exc), failures_so_far=self.failures)
            self.last_logged = now

    def recovered(self) -> None:
        if self.failures:
            log.info(f"{self.what}_recovered", failures=self.failures)
        self.failures = 0
        self.last_logged = None


def _nothing() -> None:
    pass


class Listener:
    """LISTEN on `channel`: `on_notice(payload)` for every notification, `on_listening()` each
    time it (re)connects, `on_lost()` each time the connection is gone."""

    KEEPALIVE_SECONDS = 30.0

    def __init__(
        self,
        dsn: str,
        channel: str,
        *,
        name: str,
        on_notice: Callable[[str], None],
        on_listening: Callable[[], None] = _nothing,
        on_lost: Callable[[], None] = _nothing,
    ) -> None:
        self.dsn = dsn
        self.channel = channel
        self.name = name
        self.on_notice = on_notice
        self.on_listening = on_listening
        self.on_lost = on_lost
        self.failures = FailureLog(f"{name}_listen")

    async def run(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._listen_until_lost()
                delay = 0.5  # it was listening until now: try again soon
            except Exception as exc:  # whatever broke the connection, listen again after a pause
                self.failures.failed(exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    async def _listen_until_lost(self) -> None:
        connection = await asyncpg.connect(
            self.dsn, timeout=10, server_settings={"application_name": f"eccs-{self.name}-listener"}
        )
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(self.channel, lambda *args: self.on_notice(args[-1]))
            self.failures.recovered()
            self.on_listening()
            while not lost.is_set():
                await wait_for_event(lost, self.KEEPALIVE_SECONDS)
                if not lost.is_set():  # a silently dead peer shows only when we ask
                    await connection.fetchval("SELECT 1", timeout=10)
            self.failures.failed(ConnectionError("the LISTEN connection was closed"))
        finally:
            self.on_lost()
            await close_quietly(connection)


async def close_quietly(connection: asyncpg.Connection) -> None:
    try:
        await connection.close(timeout=2)
    except Exception:  # closing a broken connection may fail in many ways; drop it regardless
        connection.terminate()
