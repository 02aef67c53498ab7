"""Real HTTP servers that receive webhooks, for tests: each checks every request's signature as a
receiver must (the `standardwebhooks` package, and the HMAC again by hand), and answers as the
test scripts it: statuses in turn, a redirect, or no answer at all (it hangs).

    with Receiver(machine_address()) as receiver:
        receiver.answers = [500, 500, 200]      # one per request, the last repeating
        receiver.hang = True                    # take requests and never answer
        ... register receiver.url with ECCS ...
        [request] = receiver.wait_for(1)
        request.event["type"], request.verified_by(secret)

Receivers listen on an address of this machine that is not loopback: outside embedded mode ECCS
calls no loopback address, and the tests allow this one address (WEBHOOK_ALLOWED_NETWORKS), as
an operator allows an on-premise receiver's network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.waiting import stays


def machine_address() -> str | None:
    """An address of this machine that is not loopback (the one its default route uses)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: UDP only picks a route
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def verified_by(self, secret: str) -> bool:
        """Whether the request is signed with `secret`: by the `standardwebhooks` package
        (which also refuses a timestamp more than 5 minutes off), and by hand."""
        try:
            Webhook(secret).verify(self.body, self.headers)
        except WebhookVerificationError:
            return False
        return self._signed_by_hand(secret)

    def _signed_by_hand(self, secret: str) -> bool:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{self.headers['webhook-id']}.{self.headers['webhook-timestamp']}.".encode()
        digest = hmac.new(key, signed + self.body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        return expected in self.headers["webhook-signature"].split(" ")


@dataclass
class _State:
    answers: list[int] = field(default_factory=lambda: [200])
    hang: bool = False
    redirect_to: str | None = None
    received: list[Received] = field(default_factory=list)


class Receiver:
    def __init__(self, host: str) -> None:
        self.host = host
        self._state = _State()
        self._changed = threading.Condition()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hooks"

    def url_named(self, name: str) -> str:
        """The receiver's URL with `name` in place of its address (resolved by the test DNS)."""
        return f"http://{name}:{self.port}/hooks"

    # --- scripting ------------------------------------------------------------------------------

    @property
    def answers(self) -> list[int]:
        return self._state.answers

    @answers.setter
    def answers(self, statuses: list[int]) -> None:
        self._state.answers = list(statuses)

    @property
    def hang(self) -> bool:
        return self._state.hang

    @hang.setter
    def hang(self, hang: bool) -> None:
        self._state.hang = hang
        if not hang:
            self._released.set()

    def redirect(self, location: str) -> None:
        self._state.redirect_to = location

    # --- what happened --------------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        with self._changed:
            return list(self._state.received)

    def wait_for(
        self, count: int, timeout: float = 15.0, where: Callable[[Received], bool] | None = None
    ) -> list[Received]:
        """The requests received (those `where` picks), once there are at least `count`."""

        def matching() -> list[Received]:
            return [r for r in self._state.received if where is None or where(r)]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout):
                raise AssertionError(
                    f"expected {count} requests within {timeout}s, got {len(matching())}:"
                    f" {[r.event.get('type') for r in matching()]}"
                )
            return matching()

    def stays_quiet(self, seconds: float, what: str = "no further request") -> None:
        """No request arrives for `seconds` (checked all along: one arriving fails at once)."""
        before = len(self.requests)
        stays(lambda: len(self.requests) == before, what, seconds)

    # --- running --------------------------------------------------------------------------------

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def _arrived(self, received: Received) -> tuple[int, str | None]:
        """Record a request; the status to answer with and where to redirect."""
        with self._changed:
            state = self._state
            state.received.append(received)
            status = state.answers[min(len(state.received), len(state.answers)) - 1]
            self._changed.notify_all()
            return (302, state.redirect_to) if state.redirect_to else (status, None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, location = receiver._arrived(
                    Received(self.path, headers, body, time.monotonic())
                )
                if receiver.hang:
                    receiver._released.wait(120)
                    return
                self.send_response(status)
                if location:
                    self.send_header("location", location)
                answer = f"answered {status}".encode()
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
