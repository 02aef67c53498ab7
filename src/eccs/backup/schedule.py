"""Backups on a schedule: `eccs backup schedule` takes one at each time of a cron schedule (UTC)
until it is stopped, and records how each run went; `eccs backup status` reads the record (the
compose service's health check).

A loop of its own rather than a scheduler library: there is one job, and it runs in the main
thread, so a stop (SIGTERM from `podman-compose down`) interrupts a backup at once: pg_dump is
killed, the half-written files are removed, and the process is gone within a second. APScheduler
runs its jobs in worker threads that no signal interrupts, so a stop would wait for the backup to
end. croniter reads the schedule.

The record (`.schedule.json` beside the backups) outlives the process: a run that failed stays
visible after a restart, and the restarted scheduler takes a backup at once when the last run
failed or a scheduled time went by while it was stopped.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from croniter import croniter

from eccs.backup.errors import BackupError
from eccs.platform.logging import describe

log = structlog.get_logger("eccs.backup")

DEFAULT_CRON = "30 2 * * *"  # daily at 02:30 UTC
DEFAULT_GRACE = timedelta(hours=1)
RECORD = ".schedule.json"
LONGEST_NAP = 60.0  # seconds: wakes to look at the clock again, which may have been set meanwhile


@dataclass(frozen=True)
class Schedule:
    """A cron expression (minute hour day-of-month month day-of-week), read in UTC."""

    cron: str

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.cron):
            raise BackupError(
                f"'{self.cron}' is not a cron schedule: five fields, minute hour day-of-month"
                " month day-of-week, in UTC (e.g. '30 2 * * *' for 02:30 every day)"
            )

    def next_after(self, moment: datetime) -> datetime:
        found: datetime = croniter(self.cron, moment).get_next(datetime)
        return found

    def last_at_or_before(self, moment: datetime) -> datetime:
        found: datetime = croniter(self.cron, moment + timedelta(seconds=1)).get_prev(datetime)
        return found


@dataclass(frozen=True)
class Run:
    started_at: datetime
    finished_at: datetime
    ok: bool
    detail: str  # the backup's file name, or what went wrong


@dataclass(frozen=True)
class Record:
    """What the scheduler writes, after each run and when it starts."""

    cron: str
    running_since: datetime
    last_run: Run | None = None
    last_success_at: datetime | None = None  # when the last run that worked started

    def after(self, run: Run) -> Record:
        succeeded = run.started_at if run.ok else self.last_success_at
        return replace(self, last_run=run, last_success_at=succeeded)

    def needs_catching_up(self, now: datetime) -> bool:
        """The last run failed, or a scheduled time went by since it. (Before any run, the first
        backup is taken at the first scheduled time.)"""
        if self.last_run is None:
            return False
        missed = Schedule(self.cron).next_after(self.last_run.started_at) <= now
        return not self.last_run.ok or missed

    def summary(self, now: datetime) -> str:
        """The schedule, the last run and the next, in one line."""
        said = f"scheduled {self.cron} (UTC), next at {_when(Schedule(self.cron).next_after(now))}"
        run = self.last_run
        if run is None:
            return f"{said}; no run yet"
        took = f"{(run.finished_at - run.started_at).total_seconds():.1f} s"
        outcome = f"{run.detail} in {took}" if run.ok else f"FAILED after {took}"
        return f"{said}; last run at {_when(run.started_at)}: {outcome}"

    def problem(self, now: datetime, grace: timedelta) -> str | None:
        """Why the scheduled backups are not well, or None: the last run failed, or a run due
        more than `grace` ago (the time a backup may take) has not been taken."""
        last = self.last_run
        if last is not None and not last.ok:
            return f"the scheduled backup of {_when(last.started_at)} failed: {last.detail}"
        due = Schedule(self.cron).last_at_or_before(now - grace)
        taken = self.last_success_at is not None and self.last_success_at >= due
        if due >= self.running_since and not taken:
            minutes = int(grace.total_seconds() // 60)
            return f"the backup due at {_when(due)} is not done {minutes} minutes later"
        return None


def read_record(directory: Path) -> Record | None:
    path = directory / RECORD
    try:
        values: dict[str, Any] = json.loads(path.read_text())
        run = values["last_run"]
        return Record(
            cron=values["cron"],
            running_since=datetime.fromisoformat(values["running_since"]),
            last_run=None if run is None else _run(run),
            last_success_at=_moment(values["last_success_at"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            f"{path} cannot be read ({exc}); remove it, the scheduler writes it anew"
        ) from exc


def _run(values: dict[str, Any]) -> Run:
    return Run(
        started_at=datetime.fromisoformat(values["started_at"]),
        finished_at=datetime.fromisoformat(values["finished_at"]),
        ok=bool(values["ok"]),
        detail=str(values["detail"]),
    )


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def write_record(directory: Path, record: Record) -> None:
    """Written aside and renamed, so a reader never sees half of it."""
    path = directory / RECORD
    partial = path.with_name(f"{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(asdict(record), out, default=datetime.isoformat, indent=2)
    os.replace(partial, path)


def run_forever(schedule: Schedule, directory: Path, back_up: Callable[[], Path]) -> None:
    """One backup at each scheduled time (and one at once when catching up), each recorded and
    logged in one line with the next time; returns only by an exception (the stop)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    before = read_record(directory)
    record = Record(schedule.cron, _now())
    if before is not None:
        record = replace(record, last_run=before.last_run, last_success_at=before.last_success_at)
    write_record(directory, record)
    catching_up = record.needs_catching_up(_now())
    due = _now() if catching_up else schedule.next_after(_now())
    log.info(
        "backup schedule started",
        cron=schedule.cron,
        catching_up=catching_up,
        next_at=due.isoformat(),
    )
    while True:
        _sleep_until(due)
        run = attempt(back_up)
        record = record.after(run)
        write_record(directory, record)
        due = schedule.next_after(_now())
        _log_run(run, directory, due)


def attempt(back_up: Callable[[], Path]) -> Run:
    """One backup, its outcome whatever happens; only a stop (KeyboardInterrupt) goes through."""
    started = _now()
    try:
        detail, ok = back_up().name, True
    except BackupError as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # a defect: recorded as the run's failure, the schedule goes on
        log.exception("backup failed unexpectedly")
        detail, ok = describe(exc), False
    return Run(started, _now(), ok, detail)


def _log_run(run: Run, directory: Path, due: datetime) -> None:
    took = {"seconds": round((run.finished_at - run.started_at).total_seconds(), 1)}
    if run.ok:
        size = (directory / run.detail).stat().st_size
        log.info("backup taken", file=run.detail, bytes=size, **took, next_at=due.isoformat())
    else:
        log.error("backup failed", error=run.detail, **took, next_at=due.isoformat())


def _sleep_until(moment: datetime) -> None:
    while (left := (moment - _now()).total_seconds()) > 0:
        time.sleep(min(left, LONGEST_NAP))


def _now() -> datetime:
    return datetime.now(UTC)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
