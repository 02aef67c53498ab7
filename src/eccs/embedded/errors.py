"""Why embedded mode cannot start or go on, in one line that says what to do next."""

from __future__ import annotations

from pathlib import Path


class EmbeddedError(Exception):
    """Embedded mode cannot go on; the message says what happened and what to do about it."""


class PortInUse(EmbeddedError):
    pass


class AlreadyRunning(EmbeddedError):
    pass


class IncompatibleDataDir(EmbeddedError):
    pass


class PartCrashed(EmbeddedError):
    """A part stopped by itself; `log_tail` holds the last lines it wrote."""

    def __init__(self, part: str, detail: str, log: Path | None, log_tail: list[str]) -> None:
        where = f" (its log: {log})" if log else ""
        super().__init__(
            f"{part} stopped unexpectedly: {detail}{where}; everything else was stopped"
        )
        self.part = part
        self.log = log
        self.log_tail = log_tail


def last_lines(path: Path, count: int = 15) -> list[str]:
    """The end of a log file, for an error message; nothing when it cannot be read."""
    try:
        with path.open("rb") as file:
            file.seek(0, 2)
            file.seek(max(0, file.tell() - 16_384))
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-count:]
