"""What the test servers' launchers share: children that die with the test run, reading exact
byte counts from a protocol probe, and stopping what is still running when the run ends."""

from __future__ import annotations

import atexit
import signal
import socket
import threading
from collections.abc import Callable
from typing import Protocol


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buffer = b""
    while len(buffer) < n:
        chunk = sock.recv(n - len(buffer))
        if not chunk:
            raise OSError("connection closed")
        buffer += chunk
    return buffer


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that kills the child when its parent dies, so a killed test run leaves
    no server behind. Linux ties this to the thread that forked, so only the main thread
    (which lives as long as the process) uses it; `stopped_at_exit` covers the other cases."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None

    def set_pdeathsig() -> None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return set_pdeathsig


class Stoppable(Protocol):
    def stop_now(self) -> None: ...


_LIVE: set[Stoppable] = set()


def stopped_at_exit(server: Stoppable) -> None:
    """Stop `server` when the test run ends, unless `forget` was called first."""
    _LIVE.add(server)


def forget(server: Stoppable) -> None:
    _LIVE.discard(server)


@atexit.register
def _stop_all() -> None:
    for server in list(_LIVE):
        server.stop_now()
