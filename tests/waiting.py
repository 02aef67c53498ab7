"""The one way tests wait: for a condition, polling, with a deadline that names what was awaited.

Tests never sleep for a fixed time to let something happen; they wait until it has happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None], what: str, timeout: float = 30.0, every: float = 0.1
) -> T:
    """Call `probe` until it returns something truthy, and return that; fail after `timeout`
    seconds saying `what` did not happen (and what the probe saw last)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = probe()
        if seen:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g}s: {what} (last seen: {seen!r})")
        time.sleep(every)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait until `check()` is true."""
    wait_for(check, what, timeout)


def stays(check: Callable[[], bool], what: str, seconds: float, every: float = 0.1) -> None:
    """Assert that `check()` holds for `seconds` on end (something must *not* happen): checked
    all along, so a violation fails at once rather than after the window."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not check():
            raise AssertionError(f"no longer true: {what}")
        time.sleep(every)
