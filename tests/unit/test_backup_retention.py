"""Which backups the retention keeps: the newest of each of the last N days and M weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eccs.backup.errors import BackupError
from eccs.backup.retention import Retention

# A Monday, so the ISO weeks below start on whole days.
START = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def nightly(days: int) -> list[datetime]:
    return [START + timedelta(days=day) for day in range(days)]


def test_the_newest_of_each_of_the_last_days_is_kept() -> None:
    backups = nightly(10)
    assert Retention(daily=3, weekly=0).kept(backups) == set(backups[-3:])


def test_several_backups_a_day_keep_only_the_days_newest() -> None:
    day = [START + timedelta(hours=hour) for hour in range(0, 24, 6)]
    assert Retention(daily=1, weekly=0).kept(day) == {day[-1]}


def test_weekly_keeps_the_newest_of_each_earlier_week_too() -> None:
    backups = nightly(28)  # four whole weeks, Monday to Sunday
    kept = Retention(daily=2, weekly=4).kept(backups)
    sundays = {backups[day] for day in (6, 13, 20, 27)}
    assert kept == sundays | {backups[26]}


def test_the_newest_backup_is_always_kept() -> None:
    backups = nightly(40)
    assert max(backups) in Retention(daily=1, weekly=0).kept(backups)


def test_gaps_count_days_that_have_a_backup_not_calendar_days() -> None:
    backups = [START, START + timedelta(days=10), START + timedelta(days=20)]
    assert Retention(daily=3, weekly=0).kept(backups) == set(backups)


def test_no_daily_backup_kept_is_refused() -> None:
    with pytest.raises(BackupError, match="keep-daily"):
        Retention(daily=0, weekly=4)
