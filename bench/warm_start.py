"""Warm start of embedded mode: from launching `eccs up` to `GET /health` answering 200.

"Warm" means installed, with the data directory already made: one start that is not measured
initialises PostgreSQL and migrates, then each measured run starts `eccs up` on that directory,
polls /health every 20 ms until it answers 200, lets it settle (--settle seconds: the consumer
joins its group meanwhile) and stops it with SIGINT, timing the stop too.
Run:

    .venv/bin/python -m bench.warm_start [--runs 7] [--settle 5]

Record the figures and the machine in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.servers.postgres import free_port

EccsUp = subprocess.Popen[bytes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--settle", type=float, default=5.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="eccs-bench-warm-"))
    work.chmod(0o755)  # PostgreSQL runs as another user when this runs as root
    try:
        _start_and_stop(work, 0.0)  # initialises the data directory: not measured
        starts, stops = [], []
        for run in range(1, args.runs + 1):
            started, stopped = _start_and_stop(work, args.settle)
            starts.append(started)
            stops.append(stopped)
            print(f"run {run}: /health 200 after {started:.2f} s, stopped in {stopped:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nwarm start to /health 200 over {args.runs} runs:")
    print(f"  median {statistics.median(starts):.2f} s, max {max(starts):.2f} s")
    print(f"stop on SIGINT, {args.settle:g} s after /health 200:")
    print(f"  median {statistics.median(stops):.2f} s, max {max(stops):.2f} s")


def _start_and_stop(work: Path, settle: float) -> tuple[float, float]:
    port = free_port()
    log = (work / "eccs-up.log").open("ab")
    started_at = time.perf_counter()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "eccs"), "up", "--port", str(port)],
        env={**os.environ, "ECCS_DATA_DIR": str(work / "data")},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        started = _until_healthy(process, f"http://127.0.0.1:{port}/health") - started_at
        time.sleep(settle)
    finally:
        stopping_at = time.perf_counter()
        process.send_signal(signal.SIGINT)
        process.wait(60)
    return started, time.perf_counter() - stopping_at


def _until_healthy(process: EccsUp, url: str, timeout: float = 120.0) -> float:
    deadline = time.perf_counter() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                sys.exit(f"eccs up exited with {process.returncode}; see its log")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter()
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    sys.exit(f"/health did not answer 200 within {timeout} s")


if __name__ == "__main__":
    main()
