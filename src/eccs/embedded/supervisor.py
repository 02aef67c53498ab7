"""Supervision of embedded mode: the front's HTTP server, Ctrl-C, and parts that stop by themselves.

`eccs up` decides what a signal stops and in which order (the services before the broker and the
database they use), so uvicorn's own signal handling is switched off here: SIGINT, SIGTERM and
SIGHUP (a closed terminal) only set `stop_requested`. A part that ends on its own (the broker,
the database server, the HTTP server) stops everything else too, and is reported with the end of
its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeVar

import uvicorn
from starlette.types import ASGIApp

from eccs.embedded.errors import EmbeddedError, PartCrashed, PortInUse

GRACEFUL_SECONDS = 5
HURRIED_SECONDS = 1.0
T = TypeVar("T")


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) arrived while starting: stop what was started, quietly."""


class Supervisor:
    def __init__(self) -> None:
        self.stop_requested = asyncio.Event()
        self.hurry = asyncio.Event()  # Ctrl-C again: cut the stop short
        self._crash: PartCrashed | None = None

    @property
    def crashed(self) -> bool:
        return self._crash is not None

    def handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        # SIGHUP too: a closed terminal must not leave the database and the broker running.
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(number, self._on_signal)

    def _on_signal(self) -> None:
        if self.stop_requested.is_set():
            self.hurry.set()
        self.stop_requested.set()

    def check(self) -> None:
        """Between two start-up steps: go no further once asked to stop."""
        if self._crash is not None:
            raise self._crash
        if self.stop_requested.is_set():
            raise Interrupted

    async def wait(self) -> None:
        """Until Ctrl-C or SIGTERM (returns) or until a watched part stops (raises)."""
        await self.stop_requested.wait()
        if self._crash is not None:
            raise self._crash

    @contextlib.asynccontextmanager
    async def watching(
        self,
        part: str,
        ended: Callable[[], Awaitable[str]],
        log: Path | None,
        log_tail: Callable[[], list[str]],
    ) -> AsyncIterator[None]:
        """While the block is open, `part` ending (`ended` returning how) stops everything."""

        async def watch() -> None:
            detail = await ended()
            self._crash = PartCrashed(part, detail, log, log_tail())
            self.stop_requested.set()

        task = asyncio.create_task(watch(), name=f"watch {part}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Stopper:
    """What was started, stopped in the reverse order, with no step allowed to hang the stop.

    A step that overruns its time (say, a Kafka client waiting for a broker that crashed), or
    any step once Ctrl-C comes a second time, is cancelled and the stop goes on with the next.
    """

    def __init__(self, hurry: asyncio.Event) -> None:
        self._steps: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        self._hurry = hurry

    @property
    def started(self) -> bool:
        """Whether anything is left to stop."""
        return bool(self._steps)

    def add(self, what: str, stop: Callable[[], Awaitable[object]]) -> None:
        self._steps.append((what, stop))

    async def enter(self, what: str, context: AbstractAsyncContextManager[T]) -> T:
        """Enter an async context now; exit it when stopping."""
        value = await context.__aenter__()
        self.add(what, lambda: context.__aexit__(None, None, None))
        return value

    async def stop_all(self, seconds_each: float) -> list[str]:
        """Stop everything; returns what had to be cut short or failed to stop, and why."""
        problems = []
        while self._steps:
            what, stop = self._steps.pop()
            if problem := await self._bounded(stop, seconds_each):
                problems.append(f"{what}: {problem}")
        return problems

    async def _bounded(self, stop: Callable[[], Awaitable[object]], seconds: float) -> str | None:
        step = asyncio.ensure_future(stop())
        if not self._hurry.is_set():
            hurry = asyncio.ensure_future(self._hurry.wait())
            await asyncio.wait({step, hurry}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            hurry.cancel()
        # Hurried (now or before): a last short while, as some steps finish quickly.
        await asyncio.wait({step}, timeout=HURRIED_SECONDS)
        if not step.done():
            step.cancel()
            await asyncio.wait({step}, timeout=HURRIED_SECONDS)
            return "cut short" if self._hurry.is_set() else f"cut short after {seconds:.0f} s"
        if not step.cancelled() and (error := step.exception()) is not None:
            return f"{type(error).__name__}: {error}"
        return None


class _Server(uvicorn.Server):
    """uvicorn without signal handlers of its own: the supervisor owns Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """The front's listening socket, bound before anything starts so a taken port fails fast."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise EmbeddedError(
            f"cannot listen on {host!r}: {exc.strerror}; pass another --host"
        ) from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise _bind_problem(host, port, exc) from exc
    return sock


def _bind_problem(host: str, port: int, exc: OSError) -> EmbeddedError:
    if exc.errno == errno.EADDRINUSE:
        return PortInUse(
            f"port {port} is already in use on {host}: stop what uses it, or choose another "
            "port with --port or ECCS_HTTP_PORT (for example ECCS_HTTP_PORT=8081)"
        )
    if exc.errno == errno.EACCES:
        return EmbeddedError(
            f"not allowed to listen on port {port}: choose a port above 1023 with --port "
            "or ECCS_HTTP_PORT"
        )
    return EmbeddedError(f"cannot listen on {host}:{port}: {exc.strerror}; pass another --host")


class FrontServer:
    """uvicorn serving the front on a socket bound beforehand (see `bind`)."""

    def __init__(self, app: ASGIApp, listening: socket.socket) -> None:
        self.socket = listening
        config = uvicorn.Config(
            app,
            lifespan="off",  # each service's lifespan is run by `eccs up` itself
            log_config=None,
            access_log=False,
            proxy_headers=False,  # the client address is the real peer, as the services expect
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self.socket]), name="front")

    async def ended(self) -> str:
        assert self._task is not None
        try:
            await asyncio.shield(self._task)
        except (Exception, SystemExit) as exc:
            return f"{type(exc).__name__}: {exc}"
        return "the HTTP server stopped"

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception, SystemExit):
                await task
        self.socket.close()
