"""Every service samples its process: memory, and how late its event loop runs."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import REGISTRY

from eccs.platform.process import SAMPLE_SECONDS, watched


def sample(name: str) -> float:
    value = REGISTRY.get_sample_value(name)
    return value or 0.0


async def test_memory_and_a_held_loop_show_in_the_metrics() -> None:
    late_before = sample("eccs_event_loop_lag_seconds_sum")
    async with watched():
        await asyncio.sleep(SAMPLE_SECONDS / 2)
        time.sleep(0.8)  # noqa: ASYNC251 (the point: something holds the loop)
        await asyncio.sleep(SAMPLE_SECONDS * 2)
    assert sample("eccs_process_resident_memory_bytes") > 10_000_000
    assert sample("eccs_event_loop_lag_seconds_sum") - late_before >= 0.2
