"""Erasing a deleted account's emails, templates and contacts (the requests of
contracts/erasure.py), as soon as the deletion is announced, and every so often for any missed
(email-service was down when it was announced).

Emails go in batches, each in a transaction of its own: their audit trail is anonymised first
(a failure leaves them in place, to be tried again), then they are deleted with their delivery
requests, so one not yet delivered is never sent. A delivery already in progress cannot be
stopped mid-conversation with the relay, and its worker writes the attempt's audit events when
it ends; so the trail of the emails that were unfinished is anonymised once more after the
visibility timeout, by which time any such attempt is over.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import structlog

from eccs.audit.events import AuditStore
from eccs.mail.account.repository import ErasureRepository
from eccs.platform.background import wait_for_event
from eccs.platform.db import Database
from eccs.platform.metrics import ACCOUNTS_ERASED

log = structlog.get_logger("eccs.mail.erasure")

BATCH = 500
POLL_SECONDS = 60.0
RETRY_SECONDS = 5.0


class Eraser:
    def __init__(self, database: Database, audit: AuditStore, settle: timedelta) -> None:
        self.database = database
        self.audit = audit
        self.settle = settle
        # Often enough that the second anonymisation follows the settling time closely.
        self.poll = min(POLL_SECONDS, max(1.0, settle.total_seconds() / 2))
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self, *_: object) -> None:
        """Look for work now (an account may have been deleted)."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="account-eraser")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.erase_pending()
                wait = self.poll
            except Exception as exc:  # the database or the audit store failing: try again soon
                log.warning("erasure_failed", error=repr(exc))
                wait = RETRY_SECONDS
            await wait_for_event(self._wake, wait)

    async def erase_pending(self) -> None:
        """Erase every account waiting, then finish those whose deliveries have settled."""
        while await self._erase_a_batch():
            pass
        await self._anonymise_settled()

    async def _erase_a_batch(self) -> bool:
        """One step of erasing one account; False when no account is waiting."""
        async with self.database.transaction() as connection:
            erasures = ErasureRepository(connection)
            user_id = await erasures.next_pending()
            if user_id is None:
                return False
            emails, unfinished = await erasures.emails_of(user_id, BATCH)
            if emails:
                await self.audit.anonymise(emails)
                await erasures.delete_emails(emails)
                await erasures.remember_in_flight(user_id, unfinished)
                return True
            await erasures.delete_the_rest(user_id, datetime.now(UTC))
        ACCOUNTS_ERASED.inc()
        log.info("account_erased", user_id=str(user_id))
        return True

    async def _anonymise_settled(self) -> None:
        async with self.database.transaction() as connection:
            erasures = ErasureRepository(connection)
            for row in await erasures.settled(datetime.now(UTC) - self.settle):
                await self.audit.anonymise(row["in_flight"])
                await erasures.forget(row["user_id"])
