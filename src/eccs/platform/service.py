"""A service as a composition root builds it: its HTTP application, and whether it can do its
work. The same objects run in distributed mode (one service a process) and in embedded mode
(all of them in `eccs up`), which asks each `ready()` directly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel

from eccs.platform.errors import Degraded

ReadyCheck = Callable[[], Awaitable[object]]
CHECK_SECONDS = 2.0


class Readiness(BaseModel):
    status: Literal["ready", "degraded", "not_ready"]
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return self.status == "ready"


@dataclass(frozen=True)
class ReadyChecks:
    """`deciding` decide the status; `reported` only show their state (a dependency the service
    copes without, such as the broker for the API, which keeps accepting sends)."""

    deciding: Mapping[str, ReadyCheck]
    reported: Mapping[str, ReadyCheck] = field(default_factory=dict)

    async def run(self) -> Readiness:
        every = {**self.reported, **self.deciding}
        results = await asyncio.gather(*(_state_of(check) for check in every.values()))
        states = dict(zip(every, results, strict=True))
        return Readiness(status=_overall([states[name] for name in self.deciding]), checks=states)


@dataclass(frozen=True)
class Service:
    name: str
    app: FastAPI
    checks: ReadyChecks

    async def ready(self) -> Readiness:
        return await self.checks.run()


async def _state_of(check: ReadyCheck) -> str:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_SECONDS)
    except Degraded as exc:
        return f"degraded: {exc}"[:500]
    except Exception as exc:  # a readiness probe reports every failure rather than raising it
        return f"error: {type(exc).__name__}: {exc}"[:300]
    return "ok"


def _overall(states: list[str]) -> Literal["ready", "degraded", "not_ready"]:
    """ready when every check is ok; degraded when the only trouble is a part working badly
    (a consumer restarting over and over); not_ready when a dependency is down."""
    if all(state == "ok" for state in states):
        return "ready"
    if all(state == "ok" or state.startswith("degraded:") for state in states):
        return "degraded"
    return "not_ready"
