"""Revocations heard at once: an API key revoked, an account deleted.

Whoever revokes announces it with PostgreSQL's NOTIFY in the revoking transaction (`announce`),
so the announcement goes out exactly when the change commits. Every process that checks
credentials listens (`Revocations`) and from then on refuses the key or the account, whatever it
had cached, for longer than any access token lives.

While a process is not listening (starting, or its connection lost) it may miss an announcement:
`listening` is False then, and caches of checked keys are emptied and not used, so every key is
checked afresh where it is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable

import structlog

from eccs.platform.db import Connection
from eccs.platform.listening import Listener

log = structlog.get_logger("eccs.revocations")

CHANNEL = "eccs_revoked"
# Longer than any access token lives (ACCESS_TOKEN_TTL_SECONDS is at most a day): a deleted
# account's tokens are refused until the last of them has expired anyway.
REMEMBER_SECONDS = 24 * 3600.0


async def announce(connection: Connection, subject: uuid.UUID) -> None:
    """Announce, when the caller's transaction commits, that a key or an account is revoked."""
    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, str(subject))


class Revocations:
    def __init__(self, database_url: str, *, name: str) -> None:
        self._revoked: dict[uuid.UUID, float] = {}
        self._on_revoked: list[Callable[[uuid.UUID], None]] = []
        self._on_lost: list[Callable[[], None]] = []
        self._listener = Listener(
            database_url,
            CHANNEL,
            name=f"{name}-revocations",
            on_notice=self._heard,
            on_listening=self._listening,
            on_lost=self._lost,
        )
        self._task: asyncio.Task[None] | None = None
        self.listening = False

    def on_revoked(self, listener: Callable[[uuid.UUID], None]) -> None:
        self._on_revoked.append(listener)

    def on_lost(self, listener: Callable[[], None]) -> None:
        """Called when announcements may have been missed (the connection was lost)."""
        self._on_lost.append(listener)

    def covers(self, *subjects: uuid.UUID | None) -> bool:
        """Whether any of these (an account, a key) was revoked while this process listened."""
        return any(subject in self._revoked for subject in subjects if subject is not None)

    def revoked(self, subject: uuid.UUID) -> None:
        """Take a revocation into account (what hearing its announcement does)."""
        now = time.monotonic()
        self._revoked = {s: at for s, at in self._revoked.items() if now - at < REMEMBER_SECONDS}
        self._revoked[subject] = now
        for listener in self._on_revoked:
            listener(subject)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listener.run(), name="revocations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _heard(self, payload: str) -> None:
        try:
            subject = uuid.UUID(payload)
        except ValueError:
            log.warning("revocation_unreadable", payload=payload[:100])
            return
        self.revoked(subject)

    def _listening(self) -> None:
        self.listening = True

    def _lost(self) -> None:
        self.listening = False
        for listener in self._on_lost:
            listener()
