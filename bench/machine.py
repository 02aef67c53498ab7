"""What the machine and each component spend during a run, read from /proc (through psutil).

The machine is shared, so every run says how idle it was just before, and how much CPU went to
processes that are not part of the benchmark while it ran.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil

MB = 1024 * 1024
SAMPLE_SECONDS = 0.5
LOAD_GENERATOR = "load generator"


@dataclass(frozen=True)
class Component:
    """A part of the system under test: a process and, unless said otherwise, its descendants
    (a service's `--workers` children, PostgreSQL's backends)."""

    name: str
    pid: int
    with_children: bool = True


@dataclass(frozen=True)
class Usage:
    """One component's share of one run."""

    name: str
    processes: int  # the most seen at once
    cpu_seconds: float
    largest_rss_mb: float  # peak RSS of its largest process
    total_rss_mb: float  # peak of the sum over its processes (shared memory counted in each)


@dataclass(frozen=True)
class RunUsage:
    seconds: float
    cores: int
    components: list[Usage]
    machine_busy_seconds: float  # CPU seconds every process on the machine used meanwhile

    def cpu_of(self, name: str) -> float:
        return sum(u.cpu_seconds for u in self.components if u.name == name)

    @property
    def elsewhere_seconds(self) -> float:
        """CPU seconds the machine spent on processes that are not part of the benchmark."""
        return max(0.0, self.machine_busy_seconds - sum(u.cpu_seconds for u in self.components))


def idle_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPU time that was idle over the next `seconds` (0..1)."""
    before = psutil.cpu_times()
    time.sleep(seconds)
    total, idle = _spent(before, psutil.cpu_times())
    return idle / total if total > 0 else 0.0


def _spent(before: Any, after: Any) -> tuple[float, float]:
    """CPU seconds in all and idle (iowait included) between two readings of /proc/stat."""
    deltas = {name: getattr(after, name) - getattr(before, name) for name in before._fields}
    return sum(deltas.values()), deltas["idle"] + deltas.get("iowait", 0.0)


@dataclass
class _Tracked:
    """What one component's processes have used so far in this run."""

    baseline: dict[int, float] = field(default_factory=dict)  # CPU before the run, by pid
    latest: dict[int, float] = field(default_factory=dict)
    processes: int = 0
    largest_rss: int = 0
    total_rss: int = 0

    def usage(self, name: str) -> Usage:
        cpu = sum(used - self.baseline.get(pid, 0.0) for pid, used in self.latest.items())
        return Usage(name, self.processes, cpu, self.largest_rss / MB, self.total_rss / MB)


class Sampler:
    """Samples the components' processes every SAMPLE_SECONDS on a thread of its own.

    A process first seen during the run (a new PostgreSQL backend) counts from zero; a process
    that ends between two samples loses at most its last SAMPLE_SECONDS of CPU.
    """

    def __init__(self, components: list[Component]) -> None:
        self._components = list(components)
        self._tracked = {c.name: _Tracked() for c in components}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)

    def add(self, component: Component) -> None:
        """Track a process started during the run (the load generator)."""
        self._tracked.setdefault(component.name, _Tracked())
        self._components = [*self._components, component]

    def start(self) -> None:
        self._sample(baseline=True)
        self._thread.start()

    def stop(self) -> list[Usage]:
        self._stop.set()
        self._thread.join()
        self._sample(baseline=False)
        return [tracked.usage(name) for name, tracked in self._tracked.items()]

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample(baseline=False)

    def _sample(self, baseline: bool) -> None:
        seen: dict[str, list[int]] = {}
        for component in self._components:
            tracked = self._tracked[component.name]
            rss = seen.setdefault(component.name, [])
            for pid, cpu, resident in _readings(component):
                if baseline:
                    tracked.baseline[pid] = cpu
                tracked.latest[pid] = cpu
                rss.append(resident)
        for name, rss in seen.items():
            tracked = self._tracked[name]
            tracked.processes = max(tracked.processes, len(rss))
            tracked.largest_rss = max(tracked.largest_rss, max(rss, default=0))
            tracked.total_rss = max(tracked.total_rss, sum(rss))


def _readings(component: Component) -> Iterator[tuple[int, float, int]]:
    """(pid, CPU seconds so far, RSS bytes) of each of the component's live processes."""
    try:
        root = psutil.Process(component.pid)
        children = root.children(recursive=True) if component.with_children else []
    except psutil.Error:
        return
    for process in (root, *children):
        try:
            with process.oneshot():
                times = process.cpu_times()
                yield process.pid, times.user + times.system, process.memory_info().rss
        except psutil.Error:
            continue  # it ended meanwhile


class Measurement:
    """One run being measured: the components, plus the load generator once it is started.

    The load generator runs as this process's child and has ended by the end of the run, so its
    CPU is what this process's reaped children used meanwhile (os.times): exact, where sampling
    would miss its last half second. Its RSS is sampled.
    """

    def __init__(self, components: list[Component]) -> None:
        self._sampler = Sampler([*components, Component("bench harness", os.getpid(), False)])
        self._machine = psutil.cpu_times()
        self._children = os.times()
        self._started = time.monotonic()
        self._result: RunUsage | None = None

    def start(self) -> None:
        self._machine, self._children = psutil.cpu_times(), os.times()
        self._started = time.monotonic()
        self._sampler.start()

    def load_generator(self, pid: int) -> None:
        self._sampler.add(Component(LOAD_GENERATOR, pid, with_children=False))

    def finish(self) -> None:
        usage = self._sampler.stop()
        seconds = time.monotonic() - self._started
        total, idle = _spent(self._machine, psutil.cpu_times())
        load = _children_cpu(os.times()) - _children_cpu(self._children)
        cores = psutil.cpu_count() or 1
        self._result = RunUsage(seconds, cores, _with_load_cpu(usage, load), total - idle)

    def usage(self) -> RunUsage:
        if self._result is None:
            raise RuntimeError("the run is still being measured")
        return self._result


@contextmanager
def measuring(components: list[Component]) -> Iterator[Measurement]:
    """Measure the components while the block runs (`.usage()` afterwards)."""
    measurement = Measurement(components)
    measurement.start()
    try:
        yield measurement
    finally:
        measurement.finish()


def _children_cpu(times: os.times_result) -> float:
    return times.children_user + times.children_system


def _with_load_cpu(usage: list[Usage], cpu: float) -> list[Usage]:
    """The load generator first, with its exact CPU time (and its sampled RSS, if any)."""
    sampled = next((u for u in usage if u.name == LOAD_GENERATOR), None)
    largest, total = (sampled.largest_rss_mb, sampled.total_rss_mb) if sampled else (0.0, 0.0)
    generator = Usage(LOAD_GENERATOR, 1, cpu, largest, total)
    return [generator, *(u for u in usage if u.name != LOAD_GENERATOR)]
