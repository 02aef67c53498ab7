"""What the embedded front's /health and /ready answer: every part's state, ready only when all
are, read from the services' own readiness."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eccs.platform.service import Readiness, Service

PARTS = ("postgresql", "kafka", "smtp", "outbox_relay", "auth", "email", "notification")


async def health(services: Mapping[str, Service], external: list[str]) -> dict[str, Any]:
    parts = dict.fromkeys(PARTS, "starting")
    if services:
        readiness = {name: await service.ready() for name, service in services.items()}
        parts |= {name: _state(ready) for name, ready in readiness.items()}
        parts["postgresql"] = readiness["auth"].checks.get("postgresql", "unknown")
        parts["kafka"] = readiness["notification"].checks.get("kafka", "unknown")
        parts["outbox_relay"] = readiness["email"].checks.get("outbox_relay", "unknown")
        # The mail catcher runs in this process; a real relay is not probed.
        parts["smtp"] = "ok"
    status = "ready" if all(state == "ok" for state in parts.values()) else "not_ready"
    return {"status": status, "mode": "embedded", "parts": parts, "external": external}


def _state(readiness: Readiness) -> str:
    return "ok" if readiness.ready else readiness.status
