"""Coalescing concurrent calls into batches: what callers see."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import pytest

from eccs.platform.batching import Coalescer


class Doubler:
    """A batch function that records the batches it was called with; `bad` items fail theirs."""

    def __init__(self, bad: frozenset[int] = frozenset(), down: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.bad = bad
        self.down = down

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0.01)  # a statement's round trip, during which others queue up
        if self.down:
            raise ConnectionError("the database is down")
        if self.bad & set(items):
            raise ValueError(f"bad item in {list(items)}")
        return [item * 2 for item in items]


async def test_a_lone_call_runs_at_once_and_gets_its_result() -> None:
    run = Doubler()
    assert await Coalescer(run).submit(21) == 42
    assert run.batches == [[21]]


async def running_batch(coalescer: Coalescer[int, int], item: int) -> asyncio.Task[int]:
    """A call whose batch has started running."""
    call = asyncio.create_task(coalescer.submit(item))
    for _ in range(3):
        await asyncio.sleep(0)
    return call


async def test_calls_made_while_a_batch_runs_go_together_into_the_next() -> None:
    run = Doubler()
    coalescer = Coalescer(run)
    first = await running_batch(coalescer, 0)

    results = await asyncio.gather(first, *(coalescer.submit(n) for n in range(1, 10)))

    assert results == [n * 2 for n in range(10)]
    assert run.batches == [[0], list(range(1, 10))]


async def test_batches_never_exceed_their_size() -> None:
    run = Doubler()
    coalescer = Coalescer(run, max_items=4)

    await asyncio.gather(*(coalescer.submit(n) for n in range(10)))

    assert [len(batch) for batch in run.batches] == [4, 4, 2]


async def test_a_bad_item_fails_only_its_own_caller() -> None:
    run = Doubler(bad=frozenset({5}))
    coalescer = Coalescer(run)

    results = await asyncio.gather(*(coalescer.submit(n) for n in range(8)), return_exceptions=True)

    assert [r for r in results if isinstance(r, ValueError)] == [results[5]]
    assert [r for i, r in enumerate(results) if i != 5] == [n * 2 for n in range(8) if n != 5]


async def test_a_failure_that_is_no_items_fault_reaches_every_caller_without_retries() -> None:
    run = Doubler(down=True)
    coalescer = Coalescer(run, divisible=lambda exc: not isinstance(exc, ConnectionError))

    results = await asyncio.gather(*(coalescer.submit(n) for n in range(6)), return_exceptions=True)

    assert all(isinstance(r, ConnectionError) for r in results)
    assert run.batches == [list(range(6))]  # tried once, not item by item


async def test_a_caller_that_stops_waiting_leaves_the_others_served() -> None:
    run = Doubler()
    coalescer = Coalescer(run)
    first = await running_batch(coalescer, 1)
    impatient = asyncio.create_task(coalescer.submit(2))
    patient = asyncio.create_task(coalescer.submit(3))
    await asyncio.sleep(0)
    impatient.cancel()

    assert (await first, await patient) == (2, 6)
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert run.batches == [[1], [2, 3]]  # what it submitted is still done


async def test_idle_once_every_call_is_answered() -> None:
    coalescer = Coalescer(Doubler())
    assert coalescer.idle
    call = await running_batch(coalescer, 1)
    assert not coalescer.idle

    await call
    await asyncio.sleep(0)  # the batch's task ends after it answered

    assert coalescer.idle


async def test_a_batch_rolled_back_by_a_deadlock_is_run_again_whole() -> None:
    batches: list[list[int]] = []

    async def deadlocked_once(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            raise asyncpg.DeadlockDetectedError("deadlock detected")
        return [item * 2 for item in items]

    coalescer = Coalescer(deadlocked_once)
    first = await running_batch(coalescer, 1)

    results = await asyncio.gather(first, *(coalescer.submit(n) for n in (2, 3)))

    assert results == [2, 4, 6]  # nobody saw the deadlock
    assert batches == [[1], [1], [2, 3]]


async def test_a_conflict_that_keeps_coming_back_reaches_the_callers() -> None:
    async def always_deadlocked(items: Sequence[int]) -> list[int]:
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    with pytest.raises(asyncpg.DeadlockDetectedError):
        await Coalescer(always_deadlocked, divisible=lambda _: False).submit(1)
