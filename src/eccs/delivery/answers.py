"""What SMTP answers mean for delivery: accepted, refused for good, or deferred (worth another
try). The delivery decision (policy.py) is made from these; nothing else reads SMTP codes.

A transaction-wide failure (no connection, a timeout, a 4xx or 5xx to MAIL FROM or DATA) is
given to every recipient of the attempt as that recipient's answer.

Some refusals also put the address on the sender's suppression list (`suppresses`): those that
say the mailbox is not there, never those about the message or the sender.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass

import aiosmtplib

from eccs.contracts.lifecycle import RecipientStatus
from eccs.delivery.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError

# An RFC 3463 enhanced status code at the start of a reply: class.subject.detail.
ENHANCED_CODE = re.compile(r"^\s*5\.(\d{1,3})\.(\d{1,3})\b")
# Enhanced codes that say the address is bad for good (RFC 3463): any addressing status (bad
# mailbox, bad domain, bad syntax, moved, null MX), a disabled mailbox, no route to its domain.
# Others say nothing against the address: 5.7.x is policy (spam, relaying denied: a relay that
# refuses every recipient must not empty a sender's list), 5.2.2 a full mailbox, 5.3.x the
# receiving system, 5.5.x the protocol, 5.6.x the content.
ADDRESS_GONE_SUBJECT = "1"
ADDRESS_GONE = frozenset({("2", "1"), ("4", "4")})
# Without an enhanced code (or with 5.0.0), the basic codes RFC 5321 gives unknown mailboxes.
ADDRESS_GONE_CODES = frozenset({550, 551, 553})


@dataclass(frozen=True)
class RecipientAnswer:
    """The relay's final word on one recipient in one attempt (no code: nothing was heard).

    `permanent` marks a final failure that is ours, not the relay's: the message cannot be sent
    through this relay at all (say, it needs SMTPUTF8 and the relay lacks it). No SMTP code is
    invented for it; `reply` says what happened.
    """

    recipient: str
    code: int | None
    reply: str
    permanent: bool = False
    # The relay's answer to RCPT for this address, rather than about the whole transaction.
    about_address: bool = False

    @property
    def accepted(self) -> bool:
        return self.code is not None and 200 <= self.code < 300

    @property
    def refused(self) -> bool:
        return self.permanent or (self.code is not None and 500 <= self.code < 600)

    @property
    def deferred(self) -> bool:
        """Worth another try: a 4xx, or no answer at all."""
        return not (self.accepted or self.refused)

    @property
    def suppresses(self) -> bool:
        """Whether this refusal puts the address on the sender's suppression list: a 5xx to
        RCPT saying the mailbox does not exist or cannot take mail."""
        if not (self.about_address and self.code is not None and 500 <= self.code < 600):
            return False
        enhanced = ENHANCED_CODE.match(self.reply)
        if enhanced is None or enhanced.groups() == ("0", "0"):
            return self.code in ADDRESS_GONE_CODES
        subject, detail = enhanced.groups()
        return subject == ADDRESS_GONE_SUBJECT or (subject, detail) in ADDRESS_GONE

    @property
    def code_class(self) -> str:
        """`2xx`, `4xx`, `5xx` by the relay's code; `none` when nothing was heard."""
        return f"{self.code // 100}xx" if self.code is not None else "none"

    @property
    def recipient_status(self) -> RecipientStatus:
        if self.accepted:
            return RecipientStatus.ACCEPTED
        return RecipientStatus.REFUSED if self.refused else RecipientStatus.PENDING

    @property
    def outcome(self) -> str:
        """The step in the email's timeline."""
        return "accepted" if self.accepted else "refused" if self.refused else "deferred"


def for_everyone(error: DeliveryError, recipients: list[str]) -> list[RecipientAnswer]:
    """A failure of the whole transaction, as each recipient's answer."""
    permanent = isinstance(error, PermanentDeliveryError)
    return [RecipientAnswer(r, error.code, error.reply, permanent) for r in recipients]


def message_error(code: int, reply: str) -> DeliveryError:
    """The relay's verdict on the whole message: 5xx is final, anything else may pass later."""
    if 500 <= code < 600:
        return PermanentDeliveryError(code, reply)
    return TemporaryDeliveryError(code, reply)


def session_error(exc: aiosmtplib.SMTPException | OSError) -> TemporaryDeliveryError:
    """Connecting, EHLO, STARTTLS or AUTH failed. Always temporary, even on a 5xx: the relay
    refused our session, not this message, so once the relay (or our configuration) is fixed,
    the email can go out."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return TemporaryDeliveryError(exc.code, exc.message)
    if isinstance(exc, ssl.SSLError):
        return TemporaryDeliveryError(None, f"TLS with the SMTP server failed: {exc}")
    return TemporaryDeliveryError(None, str(exc))
