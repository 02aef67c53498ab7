"""Every figure of issue [8], with one command: `python -m bench [--quick] [--case NAME] ...`.

For each number of worker processes per service (1, then 2): the HTTP cases on the empty
database, then on the one where the sending user has a history (a million emails), each on a
fresh stack; then end to end on an empty database. Each run prints the machine's idle share
before it and what every component spent during it; the summary at the end sets the figures
beside the issue's targets and the original implementation's. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bench import end_to_end, http_api, report, seeding, stack
from bench.cases import CASE_NAMES, END_TO_END, HTTP_CASES
from bench.report import Check, Run
from tests.servers import kafka, postgres

TOOLS = ("wrk", "h2load", "smtp-sink", "smtp-source")
SETUP = "make bench (or: scripts/test-servers.sh postgres kafka smtp load-generators)"


@dataclass(frozen=True)
class Options:
    cases: tuple[str, ...]
    workers: tuple[int, ...]
    databases: tuple[str, ...]
    seconds: float  # each HTTP run
    emails: int  # the end to end burst
    paced_seconds: float
    clients: int  # end to end
    history: int


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="5 s runs and 2,000 emails end to end: shows that everything works; "
        "too short to compare with the targets",
    )
    parser.add_argument(
        "--case",
        action="append",
        choices=CASE_NAMES,
        help="run this case (repeatable; default all)",
    )
    parser.add_argument(
        "--workers",
        action="append",
        type=int,
        help="worker processes per service (repeatable; default 1 and 2)",
    )
    parser.add_argument(
        "--database",
        action="append",
        choices=("empty", "history"),
        help="run the HTTP cases on this database (repeatable; default both)",
    )
    parser.add_argument("--duration", type=float, help="seconds per HTTP run (default 20)")
    parser.add_argument(
        "--emails", type=int, help="emails in the end to end burst (default 20,000)"
    )
    parser.add_argument("--paced-seconds", type=float, help="end to end at half rate (default 20)")
    parser.add_argument(
        "--clients", type=int, default=16, help="connections sending end to end (default 16)"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=1_000_000,
        help="emails the sending user already has in the history database (default 1,000,000)",
    )
    args = parser.parse_args(argv)
    return Options(
        cases=tuple(args.case or CASE_NAMES),
        workers=tuple(args.workers or (1, 2)),
        databases=tuple(args.database or ("empty", "history")),
        seconds=args.duration or (5.0 if args.quick else 20.0),
        emails=args.emails or (2_000 if args.quick else 20_000),
        paced_seconds=args.paced_seconds or (5.0 if args.quick else 20.0),
        clients=args.clients,
        history=args.history,
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = parse(argv)
    _check_tools()
    # Stopped with SIGTERM, still stop every server started (the `with` blocks' exits run).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    runs: list[Run] = []
    checks: list[Check] = []
    try:
        for workers in options.workers:
            runs += _http_runs(options, workers)
            if END_TO_END in options.cases:
                more_runs, more_checks = _end_to_end(options, workers)
                runs += more_runs
                checks += more_checks
    except KeyboardInterrupt:
        print("\ninterrupted: the summary holds the runs that finished", file=sys.stderr)
    report.summary(runs, checks)


def _http_runs(options: Options, workers: int) -> list[Run]:
    cases = [case for case in HTTP_CASES if case.name in options.cases]
    runs: list[Run] = []
    if not cases:
        return runs
    for database in options.databases:
        history = options.history if database == "history" else 0
        label = f"{history:,} emails" if history else "empty"
        with stack.running(seeding.data_dir(history), workers, stack.API_SERVICES) as running:
            runs += [http_api.run(running, c, label, workers, options.seconds) for c in cases]
    return runs


def _end_to_end(options: Options, workers: int) -> tuple[list[Run], list[Check]]:
    with stack.running(seeding.data_dir(0), workers, stack.ALL_SERVICES) as running:
        return end_to_end.run(
            running, workers, options.emails, options.paced_seconds, options.clients
        )


def _check_tools() -> None:
    if "/usr/sbin" not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] += os.pathsep + "/usr/sbin"  # where Debian puts smtp-sink
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    for reason in (postgres.available(), kafka.available()):
        if reason:
            missing.append(reason)
    if missing:
        sys.exit(f"The benchmark needs: {', '.join(missing)}.\nInstall with: {SETUP}")


if __name__ == "__main__":
    main()
