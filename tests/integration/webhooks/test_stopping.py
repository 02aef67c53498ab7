"""A worker stops within its bounded shutdown while a webhook receiver holds a request, and gives
the delivery back: the only worker of this module, so it alone takes the delivery."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.integration.webhooks.conftest import Sender, start_worker
from tests.servers.receivers import Receiver
from tests.servers.smtp import SmtpServer


def test_the_worker_stops_promptly_while_a_receiver_hangs_and_gives_the_delivery_back(
    hook_env: dict[str, str],
    smtp: SmtpServer,
    work_dir: Path,
    sender: Sender,
    receiver: Receiver,
    address: Callable[..., str],
    database: Database,
) -> None:
    receiver.hang = True
    endpoint = sender.endpoint(receiver.url, "email.sent")
    worker = start_worker({**hook_env, "WEBHOOK_TIMEOUT_SECONDS": "30"}, smtp, work_dir)
    try:
        sender.send(address("ok"))
        receiver.wait_for(1, timeout=20)
        started = time.monotonic()
        worker.process.send_signal(signal.SIGTERM)
        worker.process.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker was still running 15 s after SIGTERM")
    finally:
        worker.process.kill()
    assert time.monotonic() - started < 15
    [delivery] = database.query(
        "SELECT d.status, d.attempts, d.next_attempt_at <= now() AS due,"
        " (SELECT count(*) FROM webhook_attempts a WHERE a.delivery_id = d.id) AS recorded"
        " FROM webhook_deliveries d WHERE d.endpoint_id = $1",
        uuid.UUID(endpoint["id"]),
    )
    # Given back: due again now, not held by a lease until the cut-short request would have
    # ended, and that request not counted as an attempt.
    assert dict(delivery) == {"status": "pending", "attempts": 0, "due": True, "recorded": 0}
