"""Many concurrent calls made into one: `Coalescer.submit` waits with whatever other callers
submit meanwhile, and one call of the batch function serves them all.

Each statement PostgreSQL runs on its own costs far more than the rows it touches (its
round trip, its commit and the wait for that commit to reach the disk): a worker with dozens of
deliveries in flight that claims and records each one alone spends most of the database's CPU
on that. Nothing waits for a batch to fill: a batch starts at once, and what is submitted while
it runs goes into the next one, so batches are as large as the load makes them and a lone call
takes no longer than before.

One item's problem must not become the others': a batch that fails is run again item by item,
so only the callers whose own item fails get the error. A failure that is not any item's (the
database is down) is not worth that: `divisible` tells which failures are, and the others reach
every caller of the batch at once. A batch PostgreSQL rolled back to settle a conflict with
another transaction (a deadlock) is nobody's fault either: it is run again as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from eccs.platform.failures import is_conflict

Item = TypeVar("Item")
Result = TypeVar("Result")

BatchFunction = Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]
# How many times a batch rolled back by a conflict is run again before its error stands.
CONFLICT_RETRIES = 3


class Coalescer(Generic[Item, Result]):
    """Runs `run(items)` (one result per item, in order) for batches of at most `max_items`."""

    def __init__(
        self,
        run: BatchFunction[Item, Result],
        divisible: Callable[[Exception], bool] = lambda _: True,
        max_items: int = 100,
    ) -> None:
        self._run = run
        self._divisible = divisible
        self._max_items = max_items
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining: asyncio.Task[None] | None = None

    @property
    def idle(self) -> bool:
        """Nothing waiting and no batch running."""
        return not self._waiting and (self._draining is None or self._draining.done())

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                batch = self._waiting[: self._max_items]
                del self._waiting[: self._max_items]
                # An item is run even when its caller stopped waiting: it may record what
                # happened (an SMTP server's answer), which must not be lost with the caller.
                await self._serve(batch)
        except BaseException:  # cancelled (shutting down): no caller is left waiting forever
            for _, future in [*batch, *self._waiting]:
                future.cancel()
            self._waiting.clear()
            raise

    async def _serve(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run_settling_conflicts([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1 or not self._divisible(exc):
                for _, future in batch:
                    _settle(future, exception=exc)
                return
            for one in batch:  # which item failed it is unknown: each is tried alone
                await self._serve([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)

    async def _run_settling_conflicts(self, items: list[Item]) -> Sequence[Result]:
        for _ in range(CONFLICT_RETRIES):
            try:
                return await self._run(items)
            except Exception as exc:
                if not is_conflict(exc):
                    raise
        return await self._run(items)


def _settle(
    future: asyncio.Future[Result],
    result: Result | None = None,
    exception: BaseException | None = None,
) -> None:
    if future.done():  # its caller stopped waiting (cancelled): nobody to tell
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)  # type: ignore[arg-type]
