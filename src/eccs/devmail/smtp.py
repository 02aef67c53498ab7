"""The mail catcher's SMTP side: an aiosmtpd server answering by the rules and keeping what it
accepts in the inbox.

It runs on the event loop of whoever starts it (the `eccs up` process) rather than in a thread of
its own as aiosmtpd's Controller would, so the inbox is only ever touched from one loop. It binds
with `loop.create_server`, so port 0 picks a free port (the Controller's start-up self-check
cannot connect to port 0). No STARTTLS and no AUTH are offered: a client with SMTP_STARTTLS=auto
goes on in plain text, as it should for a catcher on the loopback interface.
"""

from __future__ import annotations

import asyncio
import weakref

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from eccs.devmail.rules import RecipientGate
from eccs.devmail.store import Inbox

log = structlog.get_logger("eccs.devmail")

# The largest message accepted (SMTP SIZE); far above what the API lets anyone send.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
SERVER_NAME = "eccs-devmail"


class CatchingHandler:
    """aiosmtpd hooks: each RCPT answered by the rules, each accepted message kept."""

    def __init__(self, inbox: Inbox, gate: RecipientGate) -> None:
        self.inbox = inbox
        self.gate = gate

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.gate.answer(address)
        if reply.accepted:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        else:
            log.info("recipient_refused", recipient=address, code=reply.code, reply=reply.text)
        return reply.line()

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        try:
            message = await self.inbox.add(str(envelope.mail_from), envelope.rcpt_tos, raw)
        except OSError as exc:  # a full or read-only disk: the sender should try again later
            log.error("mail_not_kept", error=str(exc))
            return "451 4.3.0 The mail catcher could not store the message"
        self.gate.caught(message.recipients)
        # Never the subject: logs hold no message content, the catcher's no more than the rest
        # (its inbox shows it).
        log.info(
            "mail_caught",
            id=message.id,
            sender=message.sender,
            recipients=list(message.recipients),
            message_id=message.message_id,
            size=message.size,
        )
        return f"250 2.0.0 OK: caught as {message.id}"


class SmtpListener:
    """Listens for SMTP on host:port (0: a free port, readable from `port` once started)."""

    def __init__(self, handler: CatchingHandler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_session, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Idle clients (a worker keeping its connection) would hold wait_closed() open forever.
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await self._server.wait_closed()
        self._server = None

    def _new_session(self) -> SMTP:
        session = SMTP(
            self.handler,
            hostname=SERVER_NAME,  # spares a DNS lookup (socket.getfqdn) per connection
            ident="ECCS development mail catcher",
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            loop=asyncio.get_running_loop(),
        )
        self._sessions.add(session)
        return session
