"""Routes that commit outbox rows wake their process's relay once they have answered, so that
what they wrote is published at once rather than at the relay's next poll."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Depends, Request

from eccs.mail.outbox.relay import OutboxRelay


async def _wake_the_relay(request: Request) -> AsyncIterator[None]:
    yield  # the route has returned: whatever it wrote is committed
    relay: OutboxRelay | None = getattr(request.app.state, "relay", None)
    if relay is not None:
        relay.wake()


WAKES_THE_RELAY = Depends(_wake_the_relay, scope="function")
"""In a route's `dependencies`: the route writes outbox rows."""
