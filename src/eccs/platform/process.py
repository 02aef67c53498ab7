"""The process's own vital signs for the metrics: its resident memory, and how late its event
loop runs (a loop held up by CPU-bound work or a blocking call delays every request and message
the process handles). Sampled in the background of every service; see `watched`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import psutil

from eccs.platform.metrics import EVENT_LOOP_LAG, PROCESS_MEMORY

SAMPLE_SECONDS = 0.5
# One sampler per process, however many services it runs (embedded mode runs them all).
_sampler: asyncio.Task[None] | None = None


@contextlib.asynccontextmanager
async def watched() -> AsyncIterator[None]:
    """Sample memory and event-loop lag while the block is open."""
    global _sampler
    if _sampler is not None and not _sampler.done():
        yield
        return
    _sampler = task = asyncio.create_task(_sample_forever(), name="process-metrics")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _sample_forever() -> None:
    loop = asyncio.get_running_loop()
    this_process = psutil.Process()
    while True:
        due = loop.time() + SAMPLE_SECONDS
        await asyncio.sleep(SAMPLE_SECONDS)
        EVENT_LOOP_LAG.observe(max(0.0, loop.time() - due))
        PROCESS_MEMORY.set(this_process.memory_info().rss)
