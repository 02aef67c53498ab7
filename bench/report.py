"""What a run measured, printed as it ends, and the final table beside the issue's targets and
the original implementation's figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench import cases
from bench.cases import Figures
from bench.console import say, table
from bench.load import Outcome
from bench.machine import RunUsage


@dataclass(frozen=True)
class Run:
    """One measured run of one case on one database with one number of workers."""

    case: str
    title: str
    database: str
    workers: int
    idle_before: float
    outcome: Outcome
    usage: RunUsage
    target: Figures
    original: Figures | None
    unit: str = "request"  # what the rate counts: request, send or email

    @property
    def db_ms(self) -> float | None:
        """PostgreSQL's CPU (all its processes) per 2xx answer or delivered email, in ms."""
        if not self.outcome.answered:
            return None
        return 1000 * self.usage.cpu_of("PostgreSQL") / self.outcome.answered

    @property
    def largest_service_rss_mb(self) -> float:
        services = [u for u in self.usage.components if u.name.endswith("-service")]
        return max((u.largest_rss_mb for u in services), default=0.0)


@dataclass(frozen=True)
class Check:
    """A correctness check of an end to end run (nothing lost, nothing doubled...)."""

    workers: int
    name: str
    failures: int
    detail: str = ""


def run_header(title: str, database: str, workers: int, idle: float) -> None:
    say()
    say(f"== {title} · {database} database · {_workers(workers)}")
    say(f"   machine idle before the run: {idle:.0%} (from /proc/stat over 2 s)")


def run_result(run: Run) -> None:
    o = run.outcome
    latency = ""
    if o.p99_ms is not None:
        latency = f", p50 {o.p50_ms:,.0f} ms, p99 {o.p99_ms:,.0f} ms"
    say(
        f"   {o.rate:,.1f} {run.unit}s/s over {o.seconds:.1f} s ({o.answered:,} done, "
        f"{o.failed:,} failed){latency}"
    )
    _usage_table(run.usage)
    db_ms = run.db_ms
    if db_ms is not None:
        say(f"   PostgreSQL CPU per {run.unit}: {db_ms:.2f} ms")


Percentiles = tuple[float, float]  # p50, p99


def stages(workers: int, rows: Sequence[tuple[str, Percentiles, Percentiles]]) -> None:
    """Where end to end time went, per phase: accept → the worker starts on it (the relay,
    Kafka, the consumer), then the worker's start → the last recipient's 250."""
    say()
    say(f"== Where the time went, end to end ({_workers(workers)}), from each email's timeline")
    table(
        ["phase", "accept → worker start p50/p99 ms", "worker start → 250 p50/p99 ms"],
        [[title, _pair(waited), _pair(delivering)] for title, waited, delivering in rows],
        indent="   ",
    )


def _pair(values: Percentiles) -> str:
    return f"{values[0]:,.0f} / {values[1]:,.0f}"


def _usage_table(usage: RunUsage) -> None:
    core_seconds = usage.seconds
    rows = [
        [
            u.name,
            str(u.processes),
            f"{u.cpu_seconds:.1f}",
            f"{100 * u.cpu_seconds / core_seconds:.0f}",
            f"{u.largest_rss_mb:.0f}",
            f"{u.total_rss_mb:.0f}",
        ]
        for u in usage.components
    ]
    elsewhere = usage.elsewhere_seconds
    rows.append(
        [
            "not this benchmark",
            "",
            f"{elsewhere:.1f}",
            f"{100 * elsewhere / core_seconds:.0f}",
            "",
            "",
        ]
    )
    headers = ["component", "procs", "CPU s", "% of a core", "RSS MB largest", "RSS MB all"]
    table(headers, rows, indent="   ")
    say(f"   ({usage.cores} cores: {100 * usage.cores} % is the whole machine)")


def summary(runs: Sequence[Run], checks: Sequence[Check]) -> None:
    say()
    say("== Summary: against issue [8]'s targets and the original (Node.js) implementation")
    table(
        [
            "case",
            "database",
            "workers",
            "rate/s",
            "p50 ms",
            "p99 ms",
            "target",
            "original",
            "vs original",
            "DB ms/op",
            "svc RSS MB",
            "idle before",
            "",
        ],
        [_summary_row(run) for run in runs],
    )
    say(
        "   vs original: our rate / the original's (for one email alone: its p50 / ours); "
        "above 1 is better.\n"
        f"   DB ms/op: PostgreSQL CPU per 2xx answer or email; target ≤ "
        f"{cases.MAX_DB_MS_PER_SEND} ms a send (original {cases.ORIGINAL_DB_MS_PER_SEND} ms).\n"
        f"   svc RSS MB: the largest service process (target ≤ {cases.MAX_SERVICE_RSS_MB} MB)."
    )
    _drift(runs)
    _checks(checks)


def _summary_row(run: Run) -> list[str]:
    o, target, original = run.outcome, run.target, run.original
    ratio = _ratio(o, original)
    return [
        run.case,
        run.database,
        str(run.workers),
        f"{o.rate:,.0f}" if target.rate else "",
        _ms(o.p50_ms),
        _ms(o.p99_ms),
        _figures(target, "≥", "≤"),
        _figures(original, "", "") if original else "—",
        ratio,
        "" if run.db_ms is None else f"{run.db_ms:.2f}",
        f"{run.largest_service_rss_mb:.0f}",
        f"{run.idle_before:.0%}",
        _status(run),
    ]


def _ratio(outcome: Outcome, original: Figures | None) -> str:
    """Ours against the original's, above 1 when ours is better: rates divided, or for a
    latency alone, the original's divided by ours."""
    if original is None:
        return ""
    if original.rate:
        return f"{outcome.rate / original.rate:.2f}x"
    if original.p50_ms and outcome.p50_ms:
        return f"{original.p50_ms / outcome.p50_ms:.1f}x"
    return ""


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _figures(figures: Figures, at_least: str, at_most: str) -> str:
    parts = []
    if figures.rate is not None:
        parts.append(f"{at_least}{figures.rate:,g}/s")
    if figures.p99_ms is not None:
        parts.append(f"p99 {at_most}{figures.p99_ms:,g} ms")
    if figures.p50_ms is not None:
        parts.append(f"p50 {figures.p50_ms:,g} ms")
    return ", ".join(parts)


def _status(run: Run) -> str:
    """Whether the run met its target (and no request failed); blank where there is none."""
    o, target = run.outcome, run.target
    if target.rate is None and target.p99_ms is None:
        return ""
    rate_met = target.rate is None or o.rate >= target.rate
    p99_met = target.p99_ms is None or (o.p99_ms is not None and o.p99_ms <= target.p99_ms)
    return "met" if rate_met and p99_met and o.failed == 0 else "not met"


def _drift(runs: Sequence[Run]) -> None:
    """The send rate from the empty database to the one with a history, per case and workers."""
    pairs = []
    for empty in runs:
        if empty.database != "empty" or not empty.case.startswith("send"):
            continue
        for full in runs:
            same = (full.case, full.workers) == (empty.case, empty.workers)
            if same and full.database != "empty" and empty.outcome.rate:
                change = full.outcome.rate / empty.outcome.rate - 1
                status = "met" if abs(change) <= cases.MAX_DRIFT else "not met"
                pairs.append(
                    [
                        empty.case,
                        str(empty.workers),
                        f"{empty.outcome.rate:,.0f}",
                        f"{full.outcome.rate:,.0f} ({full.database})",
                        f"{change:+.0%}",
                        status,
                    ]
                )
    if pairs:
        say()
        say(f"== Send rate drift, empty database → history (target: within {cases.MAX_DRIFT:.0%})")
        table(["case", "workers", "empty", "with history", "change", ""], pairs)


def _checks(checks: Sequence[Check]) -> None:
    if not checks:
        return
    say()
    say("== End to end: nothing lost, nothing doubled, every email sent with a complete timeline")
    rows = [
        [c.name, str(c.workers), f"{c.failures:,}", "ok" if c.failures == 0 else c.detail]
        for c in checks
    ]
    table(["check", "workers", "failures", ""], rows)


def _workers(workers: int) -> str:
    return f"{workers} worker process{'es' if workers > 1 else ''} per service"
