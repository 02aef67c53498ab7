"""HTTP API benchmark: POST /api/emails/send and GET /api/emails under wrk.

Starts its own PostgreSQL 15 and the real auth and email services (as `make test` does), signs up
one user per connection, then drives wrk from a second process and prints a table. Run:

    .venv/bin/python -m bench.http_api [--duration 15] [--workers 1]

Needs `wrk` (Debian package). Numbers depend on the machine: record them with its description in
bench/README.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench import stack
from tests.servers import postgres

SEND_BODY = '{"to":["someone@example.test"],"subject":"Hello","text":"Hello from the benchmark"}'


def lua_script(tokens: list[str], method: str, body: str | None) -> str:
    """A wrk script that spreads requests over the users, one token per connection."""
    listed = ", ".join(f'"{t}"' for t in tokens)
    body_line = f"wrk.body = '{body}'" if body else ""
    return f"""
local tokens = {{{listed}}}
local n = 0
wrk.method = "{method}"
{body_line}
wrk.headers["Content-Type"] = "application/json"
setup = function(thread) n = n + 1; thread:set("offset", n) end
local i = 0
request = function()
  i = i + 1
  local token = tokens[((i + (offset or 0) * 7) % #tokens) + 1]
  -- A headers table given to wrk.format replaces wrk.headers, so it carries both.
  local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}}
  return wrk.format(nil, nil, headers, wrk.body)
end
"""


def run_wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
        "non2xx": float(errors.group(1)) if errors else 0.0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per service")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="eccs-bench-"))
    work.chmod(0o755)
    with (
        postgres.running(work) as server,
        stack.running(server, work, ["auth", "email"], {}, args.workers) as (
            _,
            services,
        ),
    ):
        tokens = [_sign_up(services["auth"].url, i) for i in range(args.users)]
        rows = _measure(services["email"].url, tokens, work, args.duration)
    print(f"{'case':<36}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, r in rows:
        print(f"{name:<36}{r['rps']:>10.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}{r['non2xx']:>10.0f}")


def _sign_up(auth_url: str, i: int) -> str:
    response = httpx.post(
        f"{auth_url}/api/auth/register",
        json={"email": f"bench{i}@example.test", "password": "benchmark passphrase", "name": "B"},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _measure(
    email_url: str, tokens: list[str], work: Path, seconds: int
) -> list[tuple[str, dict[str, float]]]:
    send = work / "send.lua"
    send.write_text(lua_script(tokens, "POST", SEND_BODY))
    listing = work / "list.lua"
    listing.write_text(lua_script(tokens, "GET", None))
    run_wrk(f"{email_url}/api/emails/send", send, 16, 3)  # warm-up
    return [
        (
            "POST /api/emails/send, 64 clients",
            run_wrk(f"{email_url}/api/emails/send", send, 64, seconds),
        ),
        (
            "POST /api/emails/send, 16 clients",
            run_wrk(f"{email_url}/api/emails/send", send, 16, seconds),
        ),
        ("GET /api/emails, 64 clients", run_wrk(f"{email_url}/api/emails", listing, 64, seconds)),
    ]


if __name__ == "__main__":
    main()
