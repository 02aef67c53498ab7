"""Turn a stored email into the MIME message the SMTP relay receives.

The platform's address is the author (From: SMTP_FROM, with the sender's name as display name),
so relays that check SPF/DMARC for SMTP_FROM's domain accept it; replies go to the sender's own
address (Reply-To), except for the emails ECCS sends about accounts, which have no sender
address (contracts/account_mail.py). Bcc recipients are never written into any header: they
exist only in the SMTP envelope.
"""

from __future__ import annotations

import email.policy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from eccs.platform.addresses import ascii_address

# The stdlib's SMTP policy (CRLF line endings, RFC 2047/2231 encoding of non-ASCII headers and
# filenames), with bodies kept 7-bit: non-ASCII text goes out quoted-printable or base64, so the
# message is valid through any relay, whether or not it offers 8BITMIME.
POLICY = email.policy.SMTP.clone(cte_type="7bit")


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


def message_id(email_id: uuid.UUID, smtp_from: str) -> str:
    """The same Message-ID on every attempt, so a resent email is recognisably the same one."""
    domain = smtp_from.rpartition("@")[2]
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return f"<{email_id}@{domain}>"


def compose(email: OutgoingEmail, smtp_from: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    _add_headers(message, email, smtp_from)
    _add_body(message, email.text, email.html)
    for attachment in email.attachments:
        _attach(message, attachment)
    return message


def _add_headers(message: EmailMessage, email: OutgoingEmail, smtp_from: str) -> None:
    message["From"] = _address(smtp_from, email.sender_name)
    if email.sender_email:  # ECCS's own account emails have none: replies go nowhere
        message["Reply-To"] = _address(email.sender_email, email.sender_name)
    if email.to:
        message["To"] = [_address(recipient) for recipient in email.to]
    if email.cc:
        message["Cc"] = [_address(recipient) for recipient in email.cc]
    message["Subject"] = email.subject
    # When the sender submitted it, as RFC 5322 defines Date, and the same on every attempt.
    message["Date"] = format_datetime(_aware(email.created_at))
    message["Message-ID"] = message_id(email.email_id, smtp_from)


def _address(address: str, display_name: str = "") -> Address:
    # Split by hand rather than parse: the stdlib parser refuses internationalised local parts
    # (SMTPUTF8), which the API accepts.
    # The domain goes out in its ASCII (IDNA) form, as it does in the envelope.
    username, _, domain = ascii_address(address).rpartition("@")
    return Address(display_name=display_name, username=username, domain=domain)


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
