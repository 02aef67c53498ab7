"""Which backups to keep: the newest of each of the last N days and M weeks that have one."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

from eccs.backup.errors import BackupError


@dataclass(frozen=True)
class Retention:
    daily: int = 7
    weekly: int = 4

    def __post_init__(self) -> None:
        if self.daily < 1 or self.weekly < 0:
            raise BackupError(
                "keep at least one daily backup (--keep-daily) and zero or more weekly"
            )

    def kept(self, moments: Iterable[datetime]) -> set[datetime]:
        newest_first = sorted(moments, reverse=True)
        return _newest_per(newest_first, lambda moment: moment.date(), self.daily) | _newest_per(
            newest_first, lambda moment: moment.isocalendar()[:2], self.weekly
        )


def _newest_per(
    newest_first: list[datetime], period: Callable[[datetime], Hashable], count: int
) -> set[datetime]:
    chosen: dict[Hashable, datetime] = {}
    for moment in newest_first:
        key = period(moment)
        if key in chosen:
            continue
        if len(chosen) == count:
            break
        chosen[key] = moment
    return set(chosen.values())
