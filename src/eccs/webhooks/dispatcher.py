"""The webhook dispatcher: sends due event deliveries to their endpoints, signed, at least once.

It runs in notification-service, on a small database pool of its own. The worker wakes it when
it has committed events (`wake`); a poll every `WEBHOOK_POLL_SECONDS` finds those other
processes made due (email-service's unsubscribes, complaints, re-sends and tests, other
workers' events, retries coming due). No NOTIFY: see mail/outbox/relay.py.

Nothing an endpoint does can hold up email delivery or other endpoints: every request has a
time limit (`WEBHOOK_TIMEOUT_SECONDS`), at most `WEBHOOK_CONCURRENCY` are under way in a process
and at most `WEBHOOK_ENDPOINT_CONCURRENCY` per endpoint (an endpoint with no room left is not
even looked at when deliveries are taken), a failure is retried after the policy's backoff,
and an endpoint failing for long enough is disabled. Stopping waits a moment for requests under
way, then cuts them short and makes their deliveries due again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import structlog

from eccs.contracts.lifecycle import WebhookDeliveryStatus
from eccs.platform import metrics
from eccs.platform.background import periodically, wait_for_event
from eccs.platform.db import Database
from eccs.platform.logging import describe
from eccs.webhooks.destinations import (
    DestinationRefused,
    Destinations,
    Unresolvable,
    guarded_client,
)
from eccs.webhooks.policy import WebhookPolicy
from eccs.webhooks.queue import DispatchQueue, Due, Notice, Outcome
from eccs.webhooks.settings import WebhookSettings
from eccs.webhooks.signing import signed_headers

log = structlog.get_logger("eccs.webhooks")

EXCERPT_BYTES = 1024
BACKLOG_SECONDS = 5.0
NOTICE_SECONDS = 30.0
PURGE_SECONDS = 3600.0
PURGE_BATCH = 5_000
MAX_BACKOFF_SECONDS = 10.0
# On stopping, requests under way get this long to finish before they are cut short.
SHUTDOWN_GRACE_SECONDS = 2.0
USER_AGENT = "ECCS-Webhooks/1"

NoticeSender = Callable[[Notice], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    """What the endpoint said, or why it said nothing."""

    status_code: int | None
    excerpt: str | None
    error: str | None
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def result(self) -> str:
        """For the metrics: delivered, rejected, no_answer or refused."""
        if self.refused:
            return "refused"
        if self.status_code is None:
            return "no_answer"
        return "delivered" if self.delivered else "rejected"


class WebhookDispatcher:
    """`start()` returns at once; `stop()` returns within a few seconds whatever endpoints do."""

    def __init__(
        self,
        database: Database,
        settings: WebhookSettings,
        destinations: Destinations,
        notify_owner: NoticeSender | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.policy = WebhookPolicy.from_settings(settings)
        self.destinations = destinations
        self.notify_owner = notify_owner
        # Long enough for any request to end: then a delivery taken by a dispatcher that died
        # is due again.
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds * 2 + 30)
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._running: asyncio.Task[None] | None = None
        self._in_flight: dict[asyncio.Task[None], Due] = {}
        self._jobs = contextlib.AsyncExitStack()

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._client = guarded_client(self.destinations, self.settings)
        self._running = asyncio.create_task(self._dispatch_forever(), name="webhook-dispatcher")
        jobs = [
            ("webhook-backlog", BACKLOG_SECONDS, self.refresh_backlog),
            ("webhook-purge", PURGE_SECONDS, self.purge),
        ]
        if self.notify_owner is not None:
            jobs.append(("webhook-notices", NOTICE_SECONDS, self.send_notices))
        for name, seconds, job in jobs:
            await self._jobs.enter_async_context(periodically(name, seconds, job))

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        await self._jobs.aclose()
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)
        await self._cut_short()
        if self._client is not None:
            await self._client.aclose()

    def wake(self) -> None:
        """Deliveries were committed: look for them now rather than at the next poll."""
        self._wake.set()

    async def _cut_short(self) -> None:
        """Requests still under way after the grace period are cancelled, and their deliveries
        made due again (not counted as an attempt)."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=SHUTDOWN_GRACE_SECONDS)
        left = [(task, due) for task, due in self._in_flight.items() if not task.done()]
        for task, _ in left:
            task.cancel()
        await asyncio.gather(*(task for task, _ in left), return_exceptions=True)
        if left:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0), self.database.connection() as connection:
                    await DispatchQueue(connection).release([due for _, due in left])

    # --- taking and sending ---------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            self._wake.clear()  # a wake from here on triggers another round
            try:
                taken = await self._take()
            except Exception as exc:  # the database is down: try again, never give up
                log.warning("webhook_take_failed", error=describe(exc))
                await wait_for_event(self._stopping, delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            delay = 0.5
            for due in taken:
                self._spawn(due)
            if not taken or len(self._in_flight) >= self.settings.webhook_concurrency:
                await wait_for_event(self._wake, self.settings.webhook_poll_seconds)

    async def _take(self) -> list[Due]:
        room = self.settings.webhook_concurrency - len(self._in_flight)
        if room <= 0:
            return []
        per_endpoint = self.settings.webhook_endpoint_concurrency
        busy = collections.Counter(due.endpoint_id for due in self._in_flight.values())
        full = [endpoint for endpoint, n in busy.items() if n >= per_endpoint]
        rooms = {endpoint: per_endpoint - n for endpoint, n in busy.items() if n < per_endpoint}
        async with self.database.connection() as connection:
            return await DispatchQueue(connection).take(full, rooms, per_endpoint, room, self.lease)

    def _spawn(self, due: Due) -> None:
        task = asyncio.create_task(self._deliver(due), name=f"webhook-{due.id}")
        self._in_flight[task] = due
        metrics.WEBHOOKS_IN_FLIGHT.inc()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        metrics.WEBHOOKS_IN_FLIGHT.dec()
        self._wake.set()  # room for another
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Recording failed (the database): the lease makes the delivery due again.
            log.warning("webhook_attempt_not_recorded", error=describe(exc))

    async def _deliver(self, due: Due) -> None:
        at = datetime.now(UTC)
        started = time.perf_counter()
        answer = await self._request(due, at)
        seconds = time.perf_counter() - started
        metrics.WEBHOOK_ATTEMPTS.labels(answer.result).inc()
        metrics.WEBHOOK_ATTEMPT_SECONDS.observe(seconds)
        outcome = self._outcome(due, answer, at, seconds * 1e3)
        async with self.database.connection() as connection:
            record = await DispatchQueue(connection).record(outcome)
        if outcome.status == WebhookDeliveryStatus.FAILED:
            metrics.WEBHOOK_GIVEN_UP.labels("expired").inc()
        if answer.delivered or record is None or record.disabled_at is not None:
            return
        if self.policy.disables(record.failing_since, datetime.now(UTC)):
            await self._disable(due)

    async def _request(self, due: Due, at: datetime) -> Answer:
        assert self._client is not None
        body = orjson.dumps(due.payload)
        signing = [due.secret, *([due.previous_secret] if due.previous_secret else [])]
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signed_headers(str(due.event_id), body, signing, at),
        }
        try:
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                async with self._client.stream(
                    "POST", due.url, content=body, headers=headers
                ) as response:
                    return Answer(response.status_code, await _excerpt(response), _note(response))
        except DestinationRefused as exc:
            return Answer(None, None, f"not sent: {exc}", refused=True)
        except Unresolvable as exc:
            return Answer(None, None, f"not sent: {exc}")
        except TimeoutError:
            seconds = self.settings.webhook_timeout_seconds
            return Answer(None, None, f"no answer within {seconds:g} s")
        except httpx.HTTPError as exc:
            return Answer(None, None, describe(exc))
        except Exception as exc:  # a bug of ours: this attempt fails, the others go on
            log.error("webhook_request_failed", error=type(exc).__name__)
            return Answer(None, None, f"not sent: {type(exc).__name__}")

    def _outcome(self, due: Due, answer: Answer, at: datetime, latency_ms: float) -> Outcome:
        status, retry_at = WebhookDeliveryStatus.DELIVERED, None
        if not answer.delivered:
            retry_at = self.policy.next_attempt(due.attempt, due.created_at, datetime.now(UTC))
            status = WebhookDeliveryStatus.PENDING if retry_at else WebhookDeliveryStatus.FAILED
        return Outcome(
            delivery=due,
            at=at,
            status_code=answer.status_code,
            latency_ms=latency_ms,
            response_excerpt=answer.excerpt,
            error=answer.error,
            delivered=answer.delivered,
            status=status,
            next_attempt_at=retry_at,
        )

    async def _disable(self, due: Due) -> None:
        async with self.database.connection() as connection:
            given_up = await DispatchQueue(connection).disable_failing(due.endpoint_id)
        if given_up is None:
            return  # another dispatcher did it
        metrics.WEBHOOK_ENDPOINTS_DISABLED.inc()
        metrics.WEBHOOK_GIVEN_UP.labels("endpoint_disabled").inc(given_up)
        log.warning("webhook_endpoint_disabled", endpoint_id=str(due.endpoint_id))
        if self.notify_owner is not None:  # now, rather than at the next round of notices
            try:
                await self.send_notices()
            except Exception as exc:  # the periodic round tries again
                log.warning("webhook_notice_not_sent", error=describe(exc))

    # --- housekeeping ---------------------------------------------------------------------------

    async def refresh_backlog(self) -> None:
        async with self.database.connection() as connection:
            rows, oldest = await DispatchQueue(connection).backlog()
        metrics.WEBHOOK_BACKLOG.set(rows)
        metrics.WEBHOOK_OLDEST_DUE_AGE.set(oldest)

    async def purge(self) -> int:
        total = 0
        while True:
            async with self.database.connection() as connection:
                count = await DispatchQueue(connection).purge(self.settings.retention, PURGE_BATCH)
            total += count
            if count < PURGE_BATCH:
                return total

    async def send_notices(self) -> None:
        """Tell the owners of endpoints disabled for failing, one at a time; a notice that
        cannot be sent now is tried again next time."""
        assert self.notify_owner is not None
        while True:
            async with self.database.transaction() as connection:
                queue = DispatchQueue(connection)
                due = await queue.notices_due(limit=1)
                if not due:
                    return
                await self.notify_owner(due[0])
                await queue.notice_sent(due[0].endpoint_id)


async def _excerpt(response: httpx.Response) -> str | None:
    """The start of the answer's body, as text, for its owner to see."""
    read = b""
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= EXCERPT_BYTES:
            break
    return read[:EXCERPT_BYTES].decode("utf-8", "replace") or None


def _note(response: httpx.Response) -> str | None:
    if response.is_redirect:
        return f"redirects are not followed (to {response.headers.get('location', '?')})"
    return None
