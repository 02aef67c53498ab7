"""When scheduled backups run, and when `eccs backup status` calls them unwell: the last run
failed, or one that was due more than the grace period ago was not taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eccs.backup.errors import BackupError
from eccs.backup.schedule import Record, Run, Schedule, read_record, write_record

NIGHTLY = "30 2 * * *"
GRACE = timedelta(hours=1)
# The scheduler started on a Monday morning, after that night's time.
STARTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def run(started: datetime, ok: bool = True, detail: str = "eccs-backup-x.tar") -> Run:
    return Run(started, started + timedelta(seconds=4), ok, detail)


def test_the_schedule_is_read_in_utc() -> None:
    schedule = Schedule(NIGHTLY)
    assert schedule.next_after(STARTED) == at(3, 2, 30)
    assert schedule.next_after(at(3, 2, 30)) == at(4, 2, 30)
    assert schedule.last_at_or_before(at(3, 2, 30)) == at(3, 2, 30)
    assert schedule.last_at_or_before(at(3, 2, 29)) == at(2, 2, 30)


@pytest.mark.parametrize("cron", ["61 * * * *", "every day", "30 2 * *", ""])
def test_a_schedule_that_is_not_cron_is_refused_with_an_example(cron: str) -> None:
    with pytest.raises(BackupError, match="'30 2 \\* \\* \\*' for 02:30 every day"):
        Schedule(cron)


def test_before_its_first_time_a_new_schedule_is_well() -> None:
    record = Record(NIGHTLY, STARTED)
    assert record.problem(at(3, 2, 0), GRACE) is None
    assert record.problem(at(3, 3, 29), GRACE) is None  # the first run may take its hour


def test_a_run_not_done_within_the_grace_is_overdue() -> None:
    record = Record(NIGHTLY, STARTED)
    problem = record.problem(at(3, 3, 31), GRACE)
    assert problem == "the backup due at 2026-11-03 02:30:00 UTC is not done 60 minutes later"


def test_a_run_done_in_time_keeps_it_well_until_the_next_is_overdue() -> None:
    record = Record(NIGHTLY, STARTED).after(run(at(3, 2, 30)))
    assert record.problem(at(4, 3, 29), GRACE) is None
    assert record.problem(at(4, 3, 31), GRACE) is not None


def test_a_failed_run_is_the_problem_until_a_run_works() -> None:
    failed = Record(NIGHTLY, STARTED).after(run(at(3, 2, 30), ok=False, detail="no key"))
    assert failed.problem(at(3, 2, 31), GRACE) == (
        "the scheduled backup of 2026-11-03 02:30:00 UTC failed: no key"
    )
    assert failed.after(run(at(3, 2, 40))).problem(at(3, 2, 41), GRACE) is None


def test_a_restart_catches_up_a_failed_or_missed_run_only() -> None:
    done = Record(NIGHTLY, STARTED).after(run(at(3, 2, 30)))
    assert not done.needs_catching_up(at(3, 12, 0))
    assert done.needs_catching_up(at(4, 2, 31))  # the 4th's run was missed while stopped
    failed = Record(NIGHTLY, STARTED).after(run(at(3, 2, 30), ok=False))
    assert failed.needs_catching_up(at(3, 2, 31))
    assert not Record(NIGHTLY, STARTED).needs_catching_up(at(9, 0, 0))


def test_the_record_reads_back_as_written(tmp_path: Path) -> None:
    record = Record(NIGHTLY, STARTED).after(run(at(3, 2, 30))).after(run(at(4, 2, 30), ok=False))
    write_record(tmp_path, record)
    assert read_record(tmp_path) == record
    assert read_record(tmp_path / "elsewhere") is None
    assert record.summary(at(4, 9, 0)) == (
        "scheduled 30 2 * * * (UTC), next at 2026-11-05 02:30:00 UTC;"
        " last run at 2026-11-04 02:30:00 UTC: FAILED after 4.0 s"
    )


def test_a_damaged_record_says_how_to_recover(tmp_path: Path) -> None:
    (tmp_path / ".schedule.json").write_text("{not json")
    with pytest.raises(BackupError, match="remove it, the scheduler writes it anew"):
        read_record(tmp_path)
