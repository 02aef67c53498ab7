"""Work that runs beside a service's requests: periodic housekeeping, and steps a shutdown must
not wait on for ever."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import structlog

log = structlog.get_logger("eccs.background")
T = TypeVar("T")


async def _repeat(name: str, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception as exc:  # a failed round is logged and tried again next period
            log.warning("housekeeping_failed", job=name, error=repr(exc))


@contextlib.asynccontextmanager
async def periodically(
    name: str, seconds: float, job: Callable[[], Awaitable[object]]
) -> AsyncIterator[None]:
    """Run `job` every `seconds` while the block is open; cancelled cleanly when it closes."""
    task = asyncio.create_task(_repeat(name, seconds, job), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_for_event(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set or `seconds` have passed, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)


class Abandoned(Exception):
    """Work cut short by its deadline or by a stop: cancelled, and not waited for."""


async def bounded(
    work: Awaitable[T], seconds: float | None, stopping: asyncio.Event | None = None
) -> T:
    """Await `work` for at most `seconds`, or until `stopping` is set; past that, raise Abandoned.

    Unlike `asyncio.wait_for`, the cut-short work is cancelled and then left alone: a client that
    swallows its cancellation (aiokafka's, waiting on a broker that was restarted under it) can
    no longer hold up a shutdown. Its eventual outcome is read and dropped.
    """
    task = asyncio.ensure_future(work)
    waiters: set[asyncio.Future[Any]] = {task}
    stop = asyncio.ensure_future(stopping.wait()) if stopping is not None else None
    if stop is not None:
        waiters.add(stop)
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if stop is not None:
            stop.cancel()
    if not task.done():
        task.cancel()
        task.add_done_callback(drop_outcome)
        raise Abandoned("stopping" if stopping is not None and stopping.is_set() else "timed out")
    if task.cancelled():  # cancelled from inside, not by us: a failure like any other
        raise Abandoned("cancelled")
    return task.result()


def drop_outcome(task: asyncio.Future[Any]) -> None:
    # Reading the outcome keeps asyncio from reporting "exception was never retrieved".
    if not task.cancelled():
        task.exception()
