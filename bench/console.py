"""Where the benchmark writes: progress to stderr, figures (tables) to stdout."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def say(message: str = "") -> None:
    print(message, flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> None:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        aligned = [
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return indent + "  ".join(aligned).rstrip()

    say(line(headers))
    say(indent + "  ".join("-" * width for width in widths))
    for row in rows:
        say(line(row))
