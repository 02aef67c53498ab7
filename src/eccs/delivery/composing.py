"""Turn a stored email into the MIME message the SMTP relay receives.

The platform's address is the author (From: SMTP_FROM, with the sender's name as display name),
so relays that check SPF/DMARC for SMTP_FROM's domain accept it; replies go to the sender's own
address (Reply-To). Bcc recipients are never written into any header: they exist only in the
SMTP envelope.
"""

from __future__ import annotations

import asyncio
import email.policy
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.charset import Charset
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, quote

from eccs.platform.addresses import ascii_address, check_header_safe

# The stdlib's SMTP policy (CRLF line endings, RFC 2047/2231 encoding of non-ASCII headers and
# filenames), with bodies kept 7-bit: non-ASCII text goes out quoted-printable or base64, so the
# message is valid through any relay, whether or not it offers 8BITMIME.
POLICY = email.policy.SMTP.clone(cte_type="7bit")
UTF8 = Charset("utf-8")
# What makes a display name need quotes (RFC 5322 specials, and the quote and backslash).
SPECIALS = re.compile(r'[][\\()<>@,:;".]')
# Above this much content a message is built on a thread: encoding a large attachment takes
# long enough to hold up every other delivery on the event loop, and a small message is built
# faster than it could be handed over.
BUILD_ON_THREAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    email_id: uuid.UUID
    sender_name: str
    sender_email: str
    subject: str
    text: str | None
    html: str | None
    to: list[str]
    cc: list[str]
    bcc: list[str]
    attachments: list[Attachment]
    created_at: datetime

    @property
    def size(self) -> int:
        """Roughly how much there is to encode: the bodies and attachments, in characters."""
        bodies = len(self.text or "") + len(self.html or "")
        return bodies + sum(len(attachment.content) for attachment in self.attachments)


def message_id(email_id: uuid.UUID, smtp_from: str) -> str:
    """The same Message-ID on every attempt, so a resent email is recognisably the same one."""
    domain = smtp_from.rpartition("@")[2]
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return f"<{email_id}@{domain}>"


@dataclass(frozen=True)
class Composed:
    """A message as the relay receives it, and whether an address in it needs SMTPUTF8 (an
    address with a non-ASCII local part: then such addresses go out as raw UTF-8)."""

    content: bytes
    smtputf8: bool


async def build(email: OutgoingEmail, smtp_from: str) -> Composed:
    """`compose`, on a thread when the message is large."""
    if email.size > BUILD_ON_THREAD_BYTES:
        return await asyncio.to_thread(compose, email, smtp_from)
    return compose(email, smtp_from)


def compose(email: OutgoingEmail, smtp_from: str) -> Composed:
    smtputf8 = not all(
        address.partition("@")[0].isascii()
        for address in (smtp_from, email.sender_email, *email.to, *email.cc, *email.bcc)
    )
    message = EmailMessage(policy=POLICY)
    _add_headers(message, email, smtp_from)
    _add_body(message, email.text, email.html)
    for attachment in email.attachments:
        _attach(message, attachment)
    policy = POLICY.clone(utf8=True) if smtputf8 else POLICY
    return Composed(message.as_bytes(policy=policy), smtputf8)


def _add_headers(message: EmailMessage, email: OutgoingEmail, smtp_from: str) -> None:
    """Every header is formatted once, here, and stored as it is: the email package would
    otherwise parse each value back into header objects, most of the cost of a message."""
    headers = {
        "From": _mailbox(smtp_from, email.sender_name),
        # ECCS's own account emails have no sender address: replies go nowhere.
        "Reply-To": _mailbox(email.sender_email, email.sender_name) if email.sender_email else "",
        "To": ", ".join(_mailbox(recipient) for recipient in email.to),
        "Cc": ", ".join(_mailbox(recipient) for recipient in email.cc),
        "Subject": _text(email.subject),
        # When the sender submitted it, as RFC 5322 defines Date, the same on every attempt.
        "Date": format_datetime(_aware(email.created_at)),
        "Message-ID": message_id(email.email_id, smtp_from),
    }
    for name, value in headers.items():
        # Stored as given, so checked here: a line break would start a header of its own.
        check_header_safe(value)
        if value:  # no To or Cc header without recipients in it, no Reply-To without a sender
            message.set_raw(name, value)


def _mailbox(address: str, display_name: str = "") -> str:
    """`Name <address>`, the name quoted or RFC 2047 encoded as it needs; the domain in its
    ASCII (IDNA) form, as in the envelope; a non-ASCII local part as it is (SMTPUTF8)."""
    address = ascii_address(address)
    if not display_name:
        return address
    if not display_name.isascii():
        return f"{_text(display_name)} <{address}>"
    if SPECIALS.search(display_name):
        return f'"{quote(display_name)}" <{address}>'
    return f"{display_name} <{address}>"


def _text(value: str) -> str:
    """Unstructured header text: as it is when ASCII, else RFC 2047 encoded words."""
    return value if value.isascii() else Header(value, UTF8).encode(maxlinelen=78)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _add_body(message: EmailMessage, text: str | None, html: str | None) -> None:
    if text is not None and html is not None:
        message.set_content(text)
        message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text or "")


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    maintype, subtype = _split_content_type(attachment.content_type)
    message.add_attachment(
        attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
    )


def _split_content_type(content_type: str) -> tuple[str, str]:
    """`type/subtype` without parameters; anything unreadable is sent as opaque bytes."""
    maintype, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    if not maintype or not subtype or maintype == "multipart":
        return "application", "octet-stream"
    return maintype, subtype
