"""The load generators: wrk for a timed run with latency percentiles, h2load for a fixed number
of requests, as fast as possible or at a fixed rate. Both are C programs: they leave the cores
to the system under test, where a Python client would need one of its own."""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

THREADS = 2  # wrk -t2, as the figures were taken
TIMEOUT_SECONDS = 10  # a request unanswered this long counts as failed


@dataclass(frozen=True)
class Request:
    """What every request of a run looks like; sends vary their recipient per request."""

    method: str
    path: str
    send: bool = False  # a POST /api/emails/send body, its recipient numbered per request
    emails: int = 1  # above 1: a batch (POST /api/emails/batch) of that many send bodies


@dataclass(frozen=True)
class Outcome:
    """What the load generator saw."""

    answered: int  # 2xx answers
    failed: int  # other answers, and requests that got none (socket errors, timeouts)
    seconds: float
    p50_ms: float | None = None  # wrk only
    p99_ms: float | None = None

    @property
    def rate(self) -> float:
        """2xx answers per second."""
        return self.answered / self.seconds if self.seconds else 0.0


# A transactional email as a program sends one: one recipient, a subject and a short text.
SUBJECT = "Your order #{n} has shipped"
TEXT = (
    "Hello,\n\nyour order #{n} left our warehouse today and should reach you within two days. "
    "You can follow it from your account at any time.\n\nExample Shop"
)


def send_body(n: int | str) -> str:
    return json.dumps(
        {
            "to": [f"customer{n}@example.com"],
            "subject": SUBJECT.format(n=n),
            "text": TEXT.format(n=n),
        }
    )


def wrk_script(request: Request, tokens: Sequence[str]) -> str:
    """A wrk script: requests spread over the tokens; a send's body numbered per request."""
    # JSON escapes stay as they are in a Lua long string; only %d is filled in.
    template = send_body("%d") if request.send else ""
    return f"""
local tokens = {{{", ".join(f'"{token}"' for token in tokens)}}}
local template = [[{template}]]
local emails = {request.emails}
local threads, thread_index, counter = 0, 0, 0
function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local n = thread_index * 1000000000 + counter
  local headers = {{
    ["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1],
    ["Content-Type"] = "application/json",
  }}
  local body = nil
  if #template > 0 and emails == 1 then body = string.format(template, n, n, n) end
  if #template > 0 and emails > 1 then
    local items = {{}}
    for i = 1, emails do
      local m = n * 1000 + i
      items[i] = string.format(template, m, m, m)
    end
    body = "[" .. table.concat(items, ",") .. "]"
  end
  return wrk.format("{request.method}", "{request.path}", headers, body)
end
"""


def wrk(
    base_url: str,
    request: Request,
    tokens: Sequence[str],
    clients: int,
    seconds: float,
    work: Path,
    started: Callable[[int], None] = lambda pid: None,
) -> Outcome:
    """A timed wrk run; `started` is told its process id."""
    script = work / "wrk.lua"
    script.write_text(wrk_script(request, tokens))
    # Whole seconds: wrk refuses "-d1.5s" (with no message), as a 15 s run's warm-up asked.
    command = ["wrk", f"-t{THREADS}", f"-c{clients}", f"-d{math.ceil(seconds)}s", "--latency"]
    # wrk drops answers slower than its 2 s default from the latencies and counts them as
    # errors; on a loaded machine some are, and they belong in the p99.
    command += ["--timeout", f"{TIMEOUT_SECONDS}s"]
    out = _run([*command, "-s", str(script), base_url + request.path], started)
    return parse_wrk(out)


def parse_wrk(out: str) -> Outcome:
    total, seconds = _search(r"(\d+) requests in ([\d.]+\w+),", out)
    non_2xx = _search(r"Non-2xx or 3xx responses: (\d+)", out, default=("0",))
    socket_errors = _search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
        out,
        default=("0", "0", "0", "0"),
    )
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    return Outcome(
        answered=int(total) - int(non_2xx[0]),
        failed=int(non_2xx[0]) + sum(int(n) for n in socket_errors),
        seconds=_milliseconds(seconds) / 1000,
        p50_ms=_milliseconds(latency["50"]),
        p99_ms=_milliseconds(latency["99"]),
    )


def h2load(
    url: str,
    token: str,
    requests: int,
    clients: int,
    work: Path,
    rate: float | None = None,
    started: Callable[[int], None] = lambda pid: None,
) -> Outcome:
    """`requests` sends from `clients` connections (HTTP/1.1, keep-alive), as fast as they are
    answered or, with `rate`, at that many per second in all."""
    body = work / "send.json"
    body.write_text(send_body(0))
    command = ["h2load", "--h1", "-t", str(min(THREADS, clients)), "-c", str(clients)]
    command += ["-n", str(requests), "-d", str(body), "-H", f"Authorization: Bearer {token}"]
    command += ["-H", "Content-Type: application/json"]
    if rate is not None:
        command += ["--rps", f"{rate / clients:.3f}"]
    return parse_h2load(_run([*command, url], started))


def parse_h2load(out: str) -> Outcome:
    (seconds,) = _search(r"finished in ([\d.]+\w+),", out)
    (total,) = _search(r"requests: (\d+) total", out)
    (answered,) = _search(r"status codes: (\d+) 2xx", out)
    return Outcome(int(answered), int(total) - int(answered), _milliseconds(seconds) / 1000)


def _run(command: list[str], started: Callable[[int], None]) -> str:
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        started(process.pid)
        out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {err.decode()[-2000:]}")
    return out.decode()


def _search(pattern: str, text: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
    found = re.search(pattern, text)
    if found:
        return found.groups()
    if default is not None:
        return default
    raise RuntimeError(f"unexpected load generator output (no {pattern!r}):\n{text[-2000:]}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(value: str) -> float:
    number, unit = _search(r"([\d.]+)(\w+)", value)
    return float(number) * _UNITS[unit]
