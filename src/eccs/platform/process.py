"""The process's own vital signs for the metrics: its resident memory, and how late its event
loop runs (a loop held up by CPU-bound work or a blocking call delays every request and message
the process handles). Sampled in the background of every service; see `watched`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import psutil

from eccs.platform.background import periodically
from eccs.platform.metrics import EVENT_LOOP_LAG, PROCESS_MEMORY

SAMPLE_SECONDS = 0.5
# One sampler per process, however many services it runs (embedded mode runs them all).
_watching = False


@contextlib.asynccontextmanager
async def watched() -> AsyncIterator[None]:
    """Sample memory and event-loop lag while the block is open."""
    global _watching
    if _watching:
        yield
        return
    _watching = True
    try:
        async with periodically("process-metrics", SAMPLE_SECONDS, _Sampler().sample):
            yield
    finally:
        _watching = False


class _Sampler:
    """Made as its first period starts (`periodically` sleeps, then calls `sample`)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.due = asyncio.get_running_loop().time() + SAMPLE_SECONDS

    async def sample(self) -> None:
        """Called every SAMPLE_SECONDS: how much later than that it was called is the lag."""
        loop = asyncio.get_running_loop()
        EVENT_LOOP_LAG.observe(max(0.0, loop.time() - self.due))
        PROCESS_MEMORY.set(self.process.memory_info().rss)
        self.due = loop.time() + SAMPLE_SECONDS
