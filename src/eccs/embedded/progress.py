"""What `eccs up` shows while it starts and stops: a spinner for the step under way, then one line
per part with what it is, where it is and how long it took."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from rich.console import Console
from rich.markup import escape


class Step:
    def __init__(self, name: str) -> None:
        self.name = name
        self.detail = ""

    def done(self, detail: str) -> None:
        self.detail = detail


class Progress:
    def __init__(self, console: Console) -> None:
        self.console = console

    @contextlib.contextmanager
    def step(self, name: str, doing: str) -> Iterator[Step]:
        """Show `doing…` with a spinner, then `✓ name detail (seconds)`, or `✗ name`."""
        step = Step(name)
        started = time.monotonic()
        try:
            with self.console.status(f"{doing}…"):
                yield step
        except BaseException:
            self.console.print(f"[red]✗[/] {self._name(name)}")
            raise
        seconds = time.monotonic() - started
        self.console.print(
            f"[green]✓[/] {self._name(name)}{escape(step.detail)} [dim]{seconds:.1f} s"
        )

    def external(self, name: str, detail: str) -> None:
        """A part that is not started here: the environment points to a real one."""
        self.console.print(f"[cyan]•[/] {self._name(name)}{escape(detail)}")

    def warning(self, text: str) -> None:
        self.console.print(f"[yellow]![/] {escape(text)}")

    def note(self, text: str) -> None:
        self.console.print(f"[dim]{escape(text)}")

    @contextlib.contextmanager
    def stopping(self, doing: str) -> Iterator[None]:
        with self.console.status(f"{doing}…"):
            yield

    @staticmethod
    def _name(name: str) -> str:
        return f"[bold]{escape(name):<14}[/] "
