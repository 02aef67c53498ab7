"""A real SMTP server for tests (aiosmtpd sessions on an event loop in a background thread), with
answers a test can script.

    with SmtpServer() as server:               # or the `smtp_server` fixture
        server.rules.recipient("flaky.test", "451 4.3.0 try later", "451", "250")
        server.rules.recipient("nobody@example.test", "550 5.1.1 no such user")
        server.rules.data = "554 5.7.1 looks like spam"
        ... send to 127.0.0.1:server.port ...
        [received] = server.wait_for(1)
        received.recipients, received.message["Subject"], received.raw
        server.connections                     # TCP connections accepted so far

A script is a sequence of answers given one per attempt, its last answer repeating: ("550",) always
refuses, ("451", "451", "250") defers twice then accepts. An answer may be a bare code ("451");
the server adds a plain text. Any 421 answer is followed by closing the connection, as real
servers do.

Recipient scripts count attempts per recipient address, not per (Message-ID, recipient) as the
dev mail catcher's rules are described: RCPT is answered before the message, and so its
Message-ID, has arrived. Each test gets a fresh server; give each email its own addresses when
their counts must not mix. MAIL and DATA scripts count every MAIL FROM and every DATA.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
SERVER_NAME = "smtp.test"
# What a hook "answers" after dropping the connection: nobody reads it, nothing is accepted.
_DROPPED = "421 4.4.2 connection dropped"
_DEFAULT_TEXT = {"2": "2.0.0 OK", "4": "4.3.0 Try again later", "5": "5.0.0 Refused"}

Script = str | Sequence[str] | None


@dataclass(frozen=True)
class ReceivedMessage:
    """A message the server accepted, as it arrived."""

    mail_from: str
    recipients: list[str]  # the envelope: every RCPT the server accepted, Bcc included
    raw: bytes
    message: EmailMessage
    tls: bool  # the session was upgraded with STARTTLS
    user: str | None  # who authenticated, if anyone


class Rules:
    """How the server answers. Change them at any time, from any thread."""

    def __init__(self) -> None:
        self.greeting: str | None = None  # e.g. "421 4.3.2 busy": said on connect, then hang up
        self.silent = False  # accept connections but never say a word (a hung server)
        self.mail: Script = None  # answer(s) to MAIL FROM; None accepts
        self.data: Script = None  # answer(s) at the end of DATA; None accepts and keeps it
        self.delay: dict[str, float] = {}  # seconds to wait before answering "MAIL"/"RCPT"/"DATA"
        self.disconnect_at: str | None = None  # drop the connection instead of answering this
        self._recipients: dict[str, tuple[str, ...]] = {}
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def recipient(self, address_or_domain: str, *answers: str) -> None:
        """Script the answers to RCPT for one address, or for every address at a domain."""
        if not answers:
            raise ValueError("give at least one answer")
        with self._lock:
            self._recipients[address_or_domain.lower()] = answers

    def rcpts(self, address: str) -> int:
        """How many times RCPT was given this address (one with a script of its own)."""
        with self._lock:
            return self._counts[f"RCPT {address.lower()}"]

    def answer_to_rcpt(self, address: str) -> str | None:
        key = address.lower()
        if key not in self._recipients:
            key = key.rpartition("@")[2]
        return self._next(f"RCPT {address.lower()}", self._recipients.get(key))

    def answer_to(self, command: str) -> str | None:
        return self._next(command, getattr(self, command.lower()))

    def _next(self, counter: str, script: Script) -> str | None:
        if script is None:
            return None
        if isinstance(script, str):
            return _full_reply(script)
        with self._lock:
            seen = self._counts[counter]
            self._counts[counter] += 1
        return _full_reply(script[min(seen, len(script) - 1)])


def _full_reply(answer: str) -> str:
    answer = answer.strip()
    return answer if " " in answer else f"{answer} {_DEFAULT_TEXT.get(answer[:1], 'OK')}"


def _accepts(reply: str | None) -> bool:
    return reply is None or reply.startswith("2")


class SmtpServer:
    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
        auth_require_tls: bool = True,
        smtputf8: bool = True,
    ) -> None:
        """A server on 127.0.0.1; STARTTLS when given a TLS context; AUTH (PLAIN, LOGIN)
        accepting only `credentials` when given (offered only after STARTTLS by default)."""
        self.rules = Rules()
        self.host = HOST
        self.port = 0
        self._session_options: dict[str, Any] = {
            "hostname": SERVER_NAME,
            "tls_context": tls_context,
            "enable_SMTPUTF8": smtputf8,
            "auth_require_tls": auth_require_tls,
        }
        if credentials is not None:
            self._session_options["authenticator"] = _authenticator(credentials)
        self._received: list[ReceivedMessage] = []
        self._arrived = threading.Condition()
        self._connections = 0
        self._live: set[asyncio.BaseProtocol] = set()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="smtp-test-server", daemon=True
        )
        self._thread.start()
        # Port 0 here is safe: the kernel picks a free port and we read it back.
        self._server = self._call(self._loop.create_server(self._accept, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._thread = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what happened ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._arrived:
            return list(self._received)

    @property
    def connections(self) -> int:
        """TCP connections accepted since the server started."""
        return self._connections

    @property
    def open_connections(self) -> int:
        return len(self._live)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """The messages received, once there are at least `count` of them."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(
                    f"expected {count} messages within {timeout}s, got {len(self._received)}"
                )
            return list(self._received)

    def wait_until_closed(self, timeout: float = 5.0) -> None:
        """Until no client connection is open (say, after a client's QUIT)."""
        deadline = time.monotonic() + timeout
        while self._live and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._live:
            raise AssertionError(f"{len(self._live)} connections still open after {timeout}s")

    def drop_connections(self) -> None:
        """Close every open connection now, as a relay does with sessions idle for too long."""
        self._call(self._close_all())

    # --- inside the server's thread --------------------------------------------------------------

    def _accept(self) -> asyncio.BaseProtocol:
        self._connections += 1
        if self.rules.silent:
            return _Silent(self)
        if self.rules.greeting is not None:
            return _Refusal(_full_reply(self.rules.greeting))
        return _Session(self, _Handler(self), loop=self._loop, **self._session_options)

    def _record(self, envelope: Envelope, session: Session) -> None:
        raw = envelope.original_content or b""
        if envelope.smtp_utf8:  # headers are raw UTF-8 (RFC 6532), which the bytes parser mangles
            message = email.message_from_string(
                raw.decode("utf-8", "surrogateescape"), policy=email.policy.default
            )
        else:
            message = email.message_from_bytes(raw, policy=email.policy.default)
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            recipients=list(envelope.rcpt_tos),
            raw=raw,
            message=message,
            tls=session.ssl is not None,
            user=session.auth_data if isinstance(session.auth_data, str) else None,
        )
        with self._arrived:
            self._received.append(received)
            self._arrived.notify_all()

    async def _close_all(self) -> None:
        for protocol in list(self._live):
            transport = getattr(protocol, "transport", None)
            if transport is not None:
                transport.close()
        await asyncio.sleep(0)

    async def _shut_down(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._close_all()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)


class _Session(SMTP):
    """aiosmtpd's session, tracked so the server can count and drop live connections."""

    def __init__(self, owner: SmtpServer, handler: _Handler, **options: Any) -> None:
        super().__init__(handler, **options)
        self._owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._owner._live.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._owner._live.discard(self)
        super().connection_lost(error)


class _Handler:
    """aiosmtpd's hooks: answer MAIL, RCPT and DATA by the rules; keep what is accepted."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner
        self.rules = owner.rules

    async def handle_MAIL(  # noqa: N802 (aiosmtpd finds hooks by these names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = await self._answer(server, "MAIL", lambda: self.rules.answer_to("MAIL"))
        if _accepts(reply):
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return reply or "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = await self._answer(server, "RCPT", lambda: self.rules.answer_to_rcpt(address))
        if _accepts(reply):
            envelope.rcpt_tos.append(address)
        return reply or "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        reply = await self._answer(server, "DATA", lambda: self.rules.answer_to("DATA"))
        if _accepts(reply):
            self.owner._record(envelope, session)
        return reply or f"250 2.0.0 OK: queued as {len(self.owner.messages)}"

    async def _answer(self, server: SMTP, command: str, decide: Any) -> str | None:
        if delay := self.rules.delay.get(command):
            await asyncio.sleep(delay)
        if self.rules.disconnect_at == command:
            cast(asyncio.Transport, server.transport).abort()
            return _DROPPED
        reply: str | None = decide()
        if reply is not None and reply.startswith("421"):
            # After the reply is written (close() flushes it first).
            assert server.transport is not None
            server.loop.call_soon(server.transport.close)
        return reply


class _Refusal(asyncio.Protocol):
    """Answers the greeting with a refusal and hangs up."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.WriteTransport, transport).write(f"{self.greeting}\r\n".encode())
        transport.close()


class _Silent(asyncio.Protocol):
    """Takes the connection and never answers."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.owner._live.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._live.discard(self)


def _authenticator(credentials: tuple[str, str]) -> Any:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        given = (
            (data.login.decode(), data.password.decode())
            if isinstance(data, LoginPassword)
            else None
        )
        if given != credentials:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=credentials[0])

    return check


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
