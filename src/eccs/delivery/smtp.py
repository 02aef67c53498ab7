"""Hand composed messages to the SMTP relay over a small pool of reused connections.

One `send` is one SMTP transaction: MAIL FROM (SMTP_FROM), one RCPT per recipient, DATA. The
relay's answer to each RCPT is that recipient's answer, so some may be refused or deferred while
the others are accepted. Only a failure of the whole transaction (no connection, a timeout, 4xx or
5xx to MAIL FROM or DATA) raises, as a temporary or permanent delivery error.

Connections are kept open between messages: opening one costs a handshake, EHLO, maybe STARTTLS
and AUTH, several times the cost of a message. A kept connection the relay has since closed is
replaced once, transparently, as long as nothing was sent on it yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace

import aiosmtplib
import structlog
from opentelemetry.trace import SpanKind

from eccs.delivery.answers import RecipientAnswer, message_error, session_error
from eccs.delivery.composing import Composed
from eccs.delivery.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from eccs.delivery.settings import SmtpSettings
from eccs.platform import metrics
from eccs.platform.addresses import ascii_address
from eccs.platform.telemetry import span

log = structlog.get_logger(__name__)

# 421 "service not available, closing transmission channel": the relay is hanging up on us.
CLOSING = 421
_STARTTLS = {"true": True, "false": False, "auto": None}  # aiosmtplib: None = when offered


@dataclass(frozen=True)
class _Envelope:
    sender: str
    recipients: list[str]
    content: bytes
    smtputf8: bool


class _ConnectionGone(Exception):
    """The connection died before the relay could have accepted anything."""

    def __init__(self, code: int | None, reply: str) -> None:
        self.code = code
        self.reply = reply
        super().__init__(reply)


class SmtpSender:
    """Sends messages through at most `smtp_pool_size` connections; safe for concurrent tasks."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.smtp_pool_size)
        self._idle: list[aiosmtplib.SMTP] = []
        self._helo_name: str | None = None
        self._closed = False

    async def send(self, message: Composed, recipients: Sequence[str]) -> list[RecipientAnswer]:
        """Send `message` to exactly `recipients` (the envelope); one answer per recipient."""
        if self._closed:
            raise RuntimeError("SmtpSender.send called after close()")
        stored_as = _on_the_wire(recipients)
        if not stored_as:
            return []
        sender = ascii_address(self._settings.smtp_from)
        envelope = _Envelope(sender, list(stored_as), message.content, message.smtputf8)
        async with self._slots:
            with span("smtp send", None, SpanKind.CLIENT, recipients=len(envelope.recipients)):
                answers = await self._deliver(envelope)
        by_recipient = {
            stored_as[wire]: replace(answer, recipient=stored_as[wire])
            for wire, answer in answers.items()
        }
        return [by_recipient[recipient] for recipient in recipients]

    async def close(self) -> None:
        """Say QUIT on every idle connection; connections in use close when their send ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(client) for client in idle))

    async def _deliver(self, envelope: _Envelope) -> dict[str, RecipientAnswer]:
        try:
            async with asyncio.timeout(self._settings.smtp_timeout_seconds):
                return await self._deliver_on_some_connection(envelope)
        except TimeoutError as exc:
            raise TemporaryDeliveryError(
                None,
                f"no answer from the SMTP server within {self._settings.smtp_timeout_seconds}s",
            ) from exc

    async def _deliver_on_some_connection(self, envelope: _Envelope) -> dict[str, RecipientAnswer]:
        if (client := self._take_idle()) is not None:
            try:
                return await self._transact(client, envelope)
            except _ConnectionGone as gone:
                # Relays close connections that sat idle (or restart): any sender reconnects.
                log.info("smtp_connection_replaced", code=gone.code, reply=gone.reply)
        client = await self._connect()
        try:
            return await self._transact(client, envelope)
        except _ConnectionGone as gone:
            raise TemporaryDeliveryError(gone.code, gone.reply) from gone

    def _take_idle(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
        return None

    def _give_back(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected and not self._closed:
            self._idle.append(client)
        else:
            client.close()

    async def _transact(
        self, client: aiosmtplib.SMTP, envelope: _Envelope
    ) -> dict[str, RecipientAnswer]:
        """One mail transaction; the connection goes back to the pool if it is still usable."""
        try:
            answers = await _mail_transaction(client, envelope)
        except DeliveryError:
            await _reset(client)
            self._give_back(client)
            raise
        except aiosmtplib.SMTPException as exc:
            # A reply no step expects (say, to a repeated EHLO): a relay problem, maybe passing.
            client.close()
            raise TemporaryDeliveryError(getattr(exc, "code", None), exc.message) from exc
        except BaseException:
            # Gone, cancelled or timed out mid-command: the connection's state is unknown.
            client.close()
            raise
        self._give_back(client)
        return answers

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user,
            password=settings.smtp_pass.get_secret_value() if settings.smtp_pass else None,
            local_hostname=await self._local_hostname(),
            start_tls=_STARTTLS[settings.smtp_starttls],
            validate_certs=settings.smtp_tls_verify,
            timeout=settings.smtp_timeout_seconds,
        )
        try:
            await client.connect()
            await _greet(client)
        except (aiosmtplib.SMTPException, OSError) as exc:
            metrics.SMTP_CONNECTIONS.labels("failed").inc()
            log.warning("smtp_connect_failed", host=settings.smtp_host, error=str(exc))
            raise session_error(exc) from exc
        metrics.SMTP_CONNECTIONS.labels("opened").inc()
        _disable_nagle(client)
        return client

    async def _local_hostname(self) -> str:
        # aiosmtplib would look this up (a DNS query) for every new connection.
        if self._helo_name is None:
            self._helo_name = await asyncio.to_thread(socket.getfqdn)
        return self._helo_name


async def _greet(client: aiosmtplib.SMTP) -> None:
    """EHLO now, unless connecting did it (STARTTLS does; a plain connection does not): which
    extensions the relay has (SMTPUTF8, SIZE) is asked before the first command that would."""
    if client.is_ehlo_or_helo_needed:
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()


def _on_the_wire(recipients: Sequence[str]) -> dict[str, str]:
    """Each recipient as the relay gets it (IDNA domain), mapped back to the address as stored."""
    return {ascii_address(recipient): recipient for recipient in recipients}


async def _mail_transaction(
    client: aiosmtplib.SMTP, envelope: _Envelope
) -> dict[str, RecipientAnswer]:
    encoding = "utf-8" if envelope.smtputf8 else "ascii"
    await _mail_from(client, envelope, encoding)
    answers, accepted = await _rcpt_to(client, envelope.recipients, encoding)
    if accepted:
        reply = await _data(client, envelope.content)
        answers |= {r: RecipientAnswer(r, reply.code, reply.message) for r in accepted}
    else:
        await _reset(client)
    return answers


async def _mail_from(client: aiosmtplib.SMTP, envelope: _Envelope, encoding: str) -> None:
    options = _mail_options(client, envelope)
    try:
        await client.mail(envelope.sender, options=options, encoding=encoding)
    except aiosmtplib.SMTPSenderRefused as exc:
        if exc.code == CLOSING or not client.is_connected:
            raise _ConnectionGone(exc.code, exc.message) from exc
        raise message_error(exc.code, exc.message) from exc
    except aiosmtplib.SMTPServerDisconnected as exc:
        raise _ConnectionGone(None, f"connection lost: {exc.message}") from exc
    except aiosmtplib.SMTPTimeoutError as exc:
        raise TemporaryDeliveryError(None, f"timed out: {exc.message}") from exc


def _mail_options(client: aiosmtplib.SMTP, envelope: _Envelope) -> list[str]:
    options = []
    if client.supports_extension("size"):
        # Lets the relay refuse an oversized message before we upload it.
        options.append(f"SIZE={len(envelope.content)}")
    if envelope.smtputf8:
        if not client.supports_extension("smtputf8"):
            raise PermanentDeliveryError(
                None,
                "not sent: an address needs SMTPUTF8 (non-ASCII before the @),"
                " which the SMTP relay does not offer",
            )
        options.append("SMTPUTF8")
        if client.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")
    return options


async def _rcpt_to(
    client: aiosmtplib.SMTP, recipients: list[str], encoding: str
) -> tuple[dict[str, RecipientAnswer], list[str]]:
    """Each recipient's refusal, and the recipients the relay will take."""
    refused: dict[str, RecipientAnswer] = {}
    accepted: list[str] = []
    for recipient in recipients:
        try:
            await client.rcpt(recipient, encoding=encoding)
        except aiosmtplib.SMTPRecipientRefused as exc:
            if exc.code == CLOSING or not client.is_connected:
                raise _ConnectionGone(exc.code, exc.message) from exc
            refused[recipient] = RecipientAnswer(
                recipient, exc.code, exc.message, about_address=True
            )
        except aiosmtplib.SMTPServerDisconnected as exc:
            raise _ConnectionGone(None, f"connection lost: {exc.message}") from exc
        except aiosmtplib.SMTPTimeoutError as exc:
            raise TemporaryDeliveryError(None, f"timed out: {exc.message}") from exc
        except ValueError as exc:
            # aiosmtplib refuses, before writing anything, an address that could inject
            # commands. The API never stores one, but if it did, only this recipient fails.
            refused[recipient] = RecipientAnswer(recipient, 553, f"5.1.3 not sent: {exc}")
        else:
            accepted.append(recipient)
    return refused, accepted


async def _data(client: aiosmtplib.SMTP, content: bytes) -> aiosmtplib.SMTPResponse:
    try:
        return await client.data(content)
    except aiosmtplib.SMTPDataError as exc:
        raise message_error(exc.code, exc.message) from exc
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
        # The relay may have taken the message before the connection broke; a retry may
        # duplicate it, with the same Message-ID.
        raise TemporaryDeliveryError(None, f"connection lost during DATA: {exc.message}") from exc


async def _reset(client: aiosmtplib.SMTP) -> None:
    """End a failed transaction so the connection can carry the next one (or drop it)."""
    if not client.is_connected:
        return
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
    except asyncio.CancelledError:
        client.close()
        raise


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit(timeout=5)
    except (aiosmtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def _disable_nagle(client: aiosmtplib.SMTP) -> None:
    """Send each command and message at once: with Nagle's algorithm, the tail of a message
    can wait for the relay's delayed ACK (~40 ms per message). asyncio and uvloop set this on
    TCP connections already; per-message latency matters enough to not depend on that."""
    sock = client.get_transport_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
