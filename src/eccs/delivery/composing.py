"""Turn a stored email into the MIME message the SMTP relay receives.

The platform's address is the author (From: SMTP_FROM, with the sender's name as display name),
so relays that check SPF/DMARC for SMTP_FROM's domain accept it; replies go to the sender's own
address (Reply-To), or to the one the sender gave. Bcc recipients are never written into any
header: they exist only in the SMTP envelope. The sender's own headers (X-*, List-*, such as the
one-click unsubscribe link) come after ECCS's.
"""

from __future__ import annotations

import asyncio
import base64
import email.policy
import quopri
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.charset import Charset
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, quote
from typing import Any

from eccs.platform.addresses import ascii_address, check_header_safe


class _Policy(email.policy.EmailPolicy):
    """The stdlib's policy, but List-* headers go out as written: they hold URIs in angle
    brackets, which have nowhere to fold, and a long one refolded would become an RFC 2047
    encoded word that no mail client reads as a link (the API keeps them under 998 octets)."""

    def _fold(self, name: str, value: Any, refold_binary: bool = False) -> Any:
        if isinstance(value, str) and name.lower().startswith("list-"):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, refold_binary)  # type: ignore[misc]


# The stdlib's SMTP policy (CRLF line endings, RFC 2047/2231 encoding of non-ASCII headers and
# filenames), with bodies kept 7-bit: non-ASCII text goes out quoted-printable or base64, so the
# message is valid through any relay, whether or not it offers 8BITMIME.
POLICY = _Policy(linesep="\r\n", cte_type="7bit")
# For a message with an address whose local part is not ASCII: such addresses go out as raw UTF-8.
UTF8_POLICY = POLICY.clone(utf8=True)
UTF8 = Charset("utf-8")
# Longer lines of text go out encoded (the limit RFC 5322 recommends, as the email package has it).
MAX_LINE = 78
CRLF = "\r\n"
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
    # Headers the sender added (X-*, List-*: checked by the API), and a Reply-To of their own.
    headers: list[tuple[str, str]] = field(default_factory=list)
    reply_to: str | None = None

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
    body = _body(email.text, email.html)
    if email.attachments:
        body = _multipart("mixed", [body, *map(_attachment, email.attachments)])
    headers = [*_headers(email, smtp_from), ("MIME-Version", "1.0"), *body.headers]
    # Each header is folded by the email package's policy, which leaves a short line as it is
    # and folds or encodes a long one; the body is already in its final form.
    policy = UTF8_POLICY if smtputf8 else POLICY
    head = b"".join(policy.fold_binary(name, value) for name, value in headers)
    return Composed(head + CRLF.encode() + body.payload.encode("ascii"), smtputf8)


def _headers(email: OutgoingEmail, smtp_from: str) -> list[tuple[str, str]]:
    """ECCS's headers, then the sender's own, each formatted once, here: building an
    `EmailMessage` would parse each value back into header objects, most of a message's cost."""
    # Written as given, so checked first: a line break would start a header of its own.
    for given in (email.sender_name, email.subject, email.reply_to or "", *email.to, *email.cc):
        check_header_safe(given)
    for _, value in email.headers:
        check_header_safe(value)
    headers = {
        "From": _mailbox("From", smtp_from, email.sender_name),
        # The sender's own Reply-To, or the sender's address; ECCS's own account emails have no
        # sender address: replies go nowhere.
        "Reply-To": _mailbox("Reply-To", email.reply_to)
        if email.reply_to
        else _mailbox("Reply-To", email.sender_email, email.sender_name)
        if email.sender_email
        else "",
        "To": ", ".join(_mailbox("To", recipient) for recipient in email.to),
        "Cc": ", ".join(_mailbox("Cc", recipient) for recipient in email.cc),
        "Subject": _text("Subject", email.subject),
        # When the sender submitted it, as RFC 5322 defines Date, the same on every attempt.
        "Date": format_datetime(_aware(email.created_at)),
        "Message-ID": message_id(email.email_id, smtp_from),
    }
    added = [(name, _text(name, value)) for name, value in email.headers]
    # No To or Cc header without recipients in it, no Reply-To without a sender.
    return [(name, value) for name, value in [*headers.items(), *added] if value]


def _mailbox(header: str, address: str, display_name: str = "") -> str:
    """`Name <address>`, the name quoted or RFC 2047 encoded as it needs; the domain in its
    ASCII (IDNA) form, as in the envelope; a non-ASCII local part as it is (SMTPUTF8)."""
    address = ascii_address(address)
    if not display_name:
        return address
    if not display_name.isascii():
        name = _text(header, display_name)
        # On the name's line when it fits there ("From: " + name + " <address>"), else below it.
        fits = CRLF not in name and len(f"{header}: {name} <{address}>") <= MAX_LINE
        return f"{name}{' ' if fits else CRLF + ' '}<{address}>"
    if SPECIALS.search(display_name):
        return f'"{quote(display_name)}" <{address}>'
    return f"{display_name} <{address}>"


def _text(header: str, value: str) -> str:
    """Unstructured header text: as it is when ASCII, else RFC 2047 encoded words, folded
    between words to fit the line after the header's name. The email package's policy could
    encode it too, but refolding a name it has encoded splits a word in two (CPython 3.11)."""
    if value.isascii():
        return value
    return Header(value, UTF8, header_name=header).encode(linesep=CRLF)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# The body is written here, part by part, in its final form (CRLF line ends, encoded): the email
# package's own way (set_content, add_alternative, add_attachment, then its generator) parses
# every header back many times over, 0.9 ms for a message with a text and an HTML part. Only the
# top-level headers go through the email package's policy, which folds and encodes them.


@dataclass(frozen=True)
class _Part:
    """A MIME entity as it goes out: its headers, and its encoded body with CRLF line ends."""

    headers: list[tuple[str, str]]
    payload: str

    def written(self) -> str:
        return (
            "".join(f"{name}: {value}{CRLF}" for name, value in self.headers) + CRLF + self.payload
        )


def _body(text: str | None, html: str | None) -> _Part:
    """The text, the HTML, or both as alternatives (plain text first: the last is preferred)."""
    if text is not None and html is not None:
        return _multipart("alternative", [_text_part(text, "plain"), _text_part(html, "html")])
    if html is not None:
        return _text_part(html, "html")
    return _text_part(text or "", "plain")


def _text_part(text: str, subtype: str) -> _Part:
    """UTF-8 text as it is when it is short-lined ASCII, else in the shorter of quoted-printable
    and base64 (bodies stay 7-bit: see POLICY)."""
    data = b"\n".join(text.encode().splitlines()) + b"\n"
    if data.isascii() and max(map(len, data.splitlines()), default=0) <= MAX_LINE:
        encoding, payload = "7bit", data.decode("ascii")
    else:
        encoding, payload = min(
            ("quoted-printable", quopri.encodestring(data).decode("ascii")),
            ("base64", base64.encodebytes(data).decode("ascii")),
            key=lambda encoded: len(encoded[1]),
        )
    headers = [
        ("Content-Type", f'text/{subtype}; charset="utf-8"'),
        ("Content-Transfer-Encoding", encoding),
    ]
    return _Part(headers, _lines(payload))


def _attachment(attachment: Attachment) -> _Part:
    maintype, subtype = _split_content_type(attachment.content_type)
    name = attachment.filename
    # A name that is not ASCII is sent encoded as RFC 2231 says, which every reader decodes.
    filename = f'filename="{quote(name)}"' if name.isascii() else f"filename*={_rfc2231(name)}"
    headers = [
        ("Content-Type", f"{maintype}/{subtype}"),
        ("Content-Transfer-Encoding", "base64"),
        ("Content-Disposition", f"attachment; {filename}"),
    ]
    return _Part(
        headers, base64.encodebytes(attachment.content).decode("ascii").replace("\n", CRLF)
    )


def _rfc2231(value: str) -> str:
    return encode_rfc2231(value, "utf-8")


def _lines(text: str) -> str:
    """Encoded text (its lines end in LF) as it goes out, its lines ending in CRLF."""
    return text.replace("\n", CRLF)


def _multipart(subtype: str, parts: list[_Part]) -> _Part:
    """Parts in a container, separated by a boundary random enough never to occur in them."""
    boundary = f"=_{uuid.uuid4().hex}"
    inside = "".join(f"--{boundary}{CRLF}{part.written()}{CRLF}" for part in parts)
    content_type = f'multipart/{subtype}; boundary="{boundary}"'
    return _Part([("Content-Type", content_type)], f"{inside}--{boundary}--{CRLF}")


def _split_content_type(content_type: str) -> tuple[str, str]:
    """`type/subtype` without parameters; anything unreadable is sent as opaque bytes."""
    maintype, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    if not maintype or not subtype or maintype == "multipart":
        return "application", "octet-stream"
    return maintype, subtype
