"""Periodic housekeeping that runs inside a service for as long as the service runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog

log = structlog.get_logger("eccs.background")


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
