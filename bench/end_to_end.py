"""End to end on Apache Kafka: emails per second from API accept to SMTP 250 at smtp-sink, then
accept → 250 latency at half that rate, then the checks that nothing was lost or doubled.

0. One email alone, a few times over: each is sent once the one before was delivered.
1. A burst: `emails` sends as fast as `clients` connections get answers (h2load, one user). Its
   rate is emails delivered / (last SMTP 250 minus first accept), all of them: the sustained rate.
2. Paced: half that rate for `paced_seconds`; the latency percentiles are the figure.
3. Checks, over every email of the run: each 202 is an email in the database, each email is
   `sent` with a complete timeline (a 250 from every recipient, then `sent`), and smtp-sink
   received each exactly once (by Message-ID) and nothing else.

Times come from the API: an email's `created_at` (accepted) and `sent_at` (recorded right after
the 250, in the transaction that records it).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import load, machine, report
from bench.cases import (
    END_TO_END,
    END_TO_END_ORIGINAL,
    END_TO_END_TARGET,
    ONE_EMAIL_ORIGINAL,
    Figures,
)
from bench.console import progress, say
from bench.report import Check, Run
from bench.stack import Stack, smtp_sink

WARM_UP_EMAILS = 100
ALONE_EMAILS = 20
TOKEN_SECONDS = 300.0  # signed in again after this (access tokens last 15 minutes)
STALL_SECONDS = 60.0  # no email delivered for this long: the rest is reported as not delivered
MESSAGE_ID = re.compile(rb"^Message-ID: <([0-9a-f-]{36})@", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Email:
    id: str
    status: str
    created_at: datetime
    sent_at: datetime | None


NO_TARGET = Figures()


@dataclass(frozen=True)
class Phase:
    case: str
    title: str
    emails: int
    rate: float | None = None  # per second in all; None: as fast as they are answered
    one_at_a_time: bool = False  # each sent once the one before was delivered
    target: Figures = NO_TARGET
    original: Figures | None = None


def run(
    stack: Stack, workers: int, emails: int, paced_seconds: float, clients: int
) -> tuple[list[Run], list[Check]]:
    say(f"\n== smtp-source → smtp-sink on this machine: {smtp_ceiling(stack.work):,.0f} messages/s")
    measured = EndToEnd(stack, workers, clients)
    measured.warm_up()
    alone = measured.phase(_alone())
    burst = measured.phase(_burst(emails))
    paced = measured.phase(_paced(burst.outcome.rate / 2, paced_seconds))
    return [alone, burst, paced], measured.checks()


def _alone() -> Phase:
    title = f"end to end, one email alone ({ALONE_EMAILS} times)"
    return Phase(
        f"{END_TO_END}, alone", title, ALONE_EMAILS, None, True, Figures(), ONE_EMAIL_ORIGINAL
    )


def _burst(emails: int) -> Phase:
    title = f"end to end, {emails:,} emails in a burst"
    target = Figures(rate=END_TO_END_TARGET.rate)
    return Phase(END_TO_END, title, emails, target=target, original=END_TO_END_ORIGINAL)


def _paced(rate: float, seconds: float) -> Phase:
    emails = max(1, round(rate * seconds))
    title = f"end to end, {emails:,} emails at {rate:,.0f}/s (half the burst's rate)"
    target = Figures(p99_ms=END_TO_END_TARGET.p99_ms)
    return Phase(f"{END_TO_END}, half rate", title, emails, rate, target=target)


def smtp_ceiling(work: Path, messages: int = 10_000) -> float:
    """Messages per second smtp-source pushes into a sink of its own (the SMTP ceiling)."""
    with smtp_sink(work / "ceiling") as sink:
        started = time.perf_counter()
        command = ["smtp-source", "-s", "32", "-m", str(messages), "-t", "ceiling@example.com"]
        subprocess.run([*command, f"127.0.0.1:{sink.port}"], check=True)
        return messages / (time.perf_counter() - started)


class EndToEnd:
    """One user's emails through the whole stack, phase after phase, counted at smtp-sink."""

    def __init__(self, stack: Stack, workers: int, clients: int) -> None:
        if stack.sink is None:
            raise ValueError("end to end needs smtp-sink (and notification-service) running")
        self.stack, self.workers, self.clients = stack, workers, clients
        self.url = stack.url("email") + "/api/emails/send"
        self.received = Received(stack.sink.received)
        self.accepted = 0  # 202 answers so far
        self.phases: list[tuple[str, float]] = []  # (title, when it started), in order
        self.earlier: set[str] = set()  # emails the database held before the run
        self._token, self._token_at = "", 0.0

    def warm_up(self) -> None:
        """What the database already holds first (the users' address confirmations, queued when
        they signed up), then a few emails through every stage (the consumer joins its group,
        pools fill)."""
        self.earlier = asyncio.run(_email_ids(self.stack.database_url))
        progress(f"Delivering the {len(self.earlier)} emails the database already holds…")
        _wait_delivered(self.received, len(self.earlier))
        progress(f"Warm-up: {WARM_UP_EMAILS} emails end to end…")
        self._send(WARM_UP_EMAILS, None, lambda pid: None)

    def phase(self, phase: Phase) -> Run:
        """Send the phase's emails and measure until the last is delivered."""
        idle = machine.idle_share()
        report.run_header(phase.title, "empty", self.workers, idle)
        started = time.time()
        self.phases.append((phase.title, started))
        with machine.measuring(self.stack.components) as measured:
            if phase.one_at_a_time:
                failed = sum(
                    self._send(1, None, measured.load_generator) for _ in range(phase.emails)
                )
            else:
                failed = self._send(phase.emails, phase.rate, measured.load_generator)
        outcome = _outcome(_delivered(self._emails(since=started)), failed)
        result = Run(
            phase.case,
            phase.title,
            "empty",
            self.workers,
            idle,
            outcome,
            measured.usage(),
            phase.target,
            phase.original,
            "email",
        )
        report.run_result(result)
        return result

    def _send(self, emails: int, rate: float | None, started: Callable[[int], None]) -> int:
        """Send, then wait for smtp-sink to receive them all; the sends that failed."""
        before = self.received.update().total()
        clients = min(self.clients, emails)
        work = self.stack.work
        sent = load.h2load(self.url, self.token(), emails, clients, work, rate, started)
        self.accepted += sent.answered
        _wait_delivered(self.received, before + sent.answered)
        return sent.failed

    def token(self) -> str:
        """The user's access token, signed in again when it gets old."""
        if time.monotonic() - self._token_at > TOKEN_SECONDS:
            self._token, self._token_at = self.stack.tokens(1)[0], time.monotonic()
        return self._token

    def _emails(self, since: float = 0.0) -> list[Email]:
        """The user's emails created at or after `since` (a Unix time), through the list API."""
        emails = _all_emails(self.stack.url("email"), self.token())
        return [e for e in emails if e.created_at.timestamp() >= since]

    def checks(self) -> list[Check]:
        progress("Checking every email of the run: status, timeline, what smtp-sink received…")
        emails = self._emails()
        ids = {e.id for e in emails}
        received = self.received.update()
        timelines = asyncio.run(_timelines(self.stack.url("email"), self.token(), ids))
        self._stages(emails, timelines)
        incomplete = [i for i in ids if not timelines[i].complete]
        not_sent = [e for e in emails if e.status != "sent"]
        missing = [i for i in ids if received[i] == 0]
        doubled = sum(max(0, received[i] - 1) for i in ids)
        unknown = sum(n for i, n in received.items() if i not in ids | self.earlier)
        found = f"{len(emails):,} emails in the database"
        return [
            Check(self.workers, "every 202 is an email", abs(self.accepted - len(emails)), found),
            Check(self.workers, "every email sent", len(not_sent), _unsent(not_sent, timelines)),
            Check(self.workers, "every timeline complete", len(incomplete), _some(incomplete)),
            Check(self.workers, "none lost (each at smtp-sink)", len(missing), _some(missing)),
            Check(self.workers, "none doubled at smtp-sink", doubled),
            Check(self.workers, "nothing unknown at smtp-sink", unknown),
        ]

    def _stages(self, emails: Sequence[Email], timelines: dict[str, Timeline]) -> None:
        """Where each phase's time went: from accept to the worker's start, then to the 250."""
        rows = []
        ends = [started for _, started in self.phases[1:]] + [time.time()]
        for (title, started), ended in zip(self.phases, ends, strict=True):
            waited, delivering = [], []
            for email in emails:
                timeline = timelines[email.id]
                if started <= email.created_at.timestamp() < ended and timeline.accepted_at:
                    assert timeline.started_at is not None
                    waited.append(_ms(timeline.started_at - email.created_at))
                    delivering.append(_ms(timeline.accepted_at - timeline.started_at))
            rows.append((title, _percentiles(waited), _percentiles(delivering)))
        report.stages(self.workers, rows)


def _ms(interval: timedelta) -> float:
    return 1000 * interval.total_seconds()


def _percentiles(values: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 (0, 0 for no values)."""
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def _outcome(delivered: Sequence[Email], failed: int) -> load.Outcome:
    """Emails delivered per second from the first accept to the last 250, and the latencies."""
    if not delivered:
        return load.Outcome(0, failed, 0.0)
    first = min(e.created_at for e in delivered)
    last = max(e.sent_at for e in delivered if e.sent_at)
    p50, p99 = _percentiles([_ms(e.sent_at - e.created_at) for e in delivered if e.sent_at])
    return load.Outcome(len(delivered), failed, (last - first).total_seconds(), p50, p99)


def _delivered(emails: Sequence[Email]) -> list[Email]:
    return [e for e in emails if e.status == "sent" and e.sent_at is not None]


class Received:
    """What smtp-sink has received so far, by the email id in each message's Message-ID; its
    dump file is read on from where the last look stopped."""

    def __init__(self, dump: Path) -> None:
        self.dump = dump
        self.ids: Counter[str] = Counter()
        self._offset = 0

    def update(self) -> Counter[str]:
        if not self.dump.exists():
            return self.ids
        with self.dump.open("rb") as dump:
            dump.seek(self._offset)
            chunk = dump.read()
        whole_lines = chunk[: chunk.rfind(b"\n") + 1]
        self.ids.update(m.decode() for m in MESSAGE_ID.findall(whole_lines))
        self._offset += len(whole_lines)
        return self.ids


def _wait_delivered(received: Received, count: int) -> None:
    """Until smtp-sink has received `count` messages in all, or nothing arrived for a while."""
    seen, last_change = -1, time.monotonic()
    while (received_count := received.update().total()) < count:
        if received_count != seen:
            seen, last_change = received_count, time.monotonic()
        elif time.monotonic() - last_change > STALL_SECONDS:
            progress(f"  nothing delivered for {STALL_SECONDS:.0f} s: {seen:,} of {count:,}")
            return
        time.sleep(0.1)


async def _email_ids(database_url: str) -> set[str]:
    connection = await asyncpg.connect(database_url)
    try:
        return {str(row["id"]) for row in await connection.fetch("SELECT id FROM emails")}
    finally:
        await connection.close()


def _all_emails(base_url: str, token: str) -> list[Email]:
    """Every email of the token's user, newest first, a page of 100 at a time."""
    emails: list[Email] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for page in range(1, 1_000_000):
            answer = http.get("/api/emails", params={"page": page, "page_size": 100})
            answer.raise_for_status()
            items = answer.json()["items"]
            emails += [_email(item) for item in items]
            if len(items) < 100:
                return emails
    return emails


def _email(item: dict[str, Any]) -> Email:
    sent_at = item.get("sent_at")
    return Email(
        item["id"],
        item["status"],
        datetime.fromisoformat(item["created_at"]),
        datetime.fromisoformat(sent_at) if sent_at else None,
    )


def _some(ids: Sequence[str]) -> str:
    return ", ".join(sorted(ids)[:3])


def _unsent(emails: Sequence[Email], timelines: dict[str, Timeline]) -> str:
    """How many are in each state, and why the first few are not sent (their last error)."""
    states = ", ".join(f"{n} {status}" for status, n in Counter(e.status for e in emails).items())
    why = [f"{e.id}: {timelines[e.id].last_error}" for e in emails[:3]]
    return "; ".join([states, *why]) if emails else ""


@dataclass(frozen=True)
class Timeline:
    complete: bool  # a 250 from every recipient, then `sent`
    started_at: datetime | None  # the worker's first start on it
    accepted_at: datetime | None  # the last recipient's 250
    last_error: str | None = None  # why it is not sent, when it is not


async def _timelines(base_url: str, token: str, ids: Iterable[str]) -> dict[str, Timeline]:
    """Each email's timeline, read through `GET /api/emails/{id}` by 8 connections."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=8)
    timelines: dict[str, Timeline] = {}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60
    ) as http:
        queue = iter(ids)

        async def reader() -> None:
            for email_id in queue:
                answer = await http.get(f"/api/emails/{email_id}")
                ok = answer.status_code == 200
                timelines[email_id] = _timeline(answer.json() if ok else {})

        await asyncio.gather(*(reader() for _ in range(8)))
    return timelines


def _timeline(email: dict[str, Any]) -> Timeline:
    entries = email.get("timeline") or []
    accepted = {
        entry["recipient"]: datetime.fromisoformat(entry["at"])
        for entry in entries
        if entry.get("outcome") == "accepted" and entry.get("smtp_code") == 250
    }
    starts = [datetime.fromisoformat(e["at"]) for e in entries if e.get("outcome") == "started"]
    everyone = {recipient["address"] for recipient in email.get("recipients") or []}
    sent = any(entry.get("outcome") == "sent" for entry in entries)
    return Timeline(
        complete=bool(everyone) and everyone <= accepted.keys() and sent,
        started_at=min(starts, default=None),
        accepted_at=max(accepted.values(), default=None),
        last_error=email.get("last_error"),
    )
