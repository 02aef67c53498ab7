"""Notices ECCS itself sends to its users over the SMTP relay (not emails of theirs: no
timeline, no quota), such as a webhook endpoint disabled for failing."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from eccs.delivery.composing import POLICY, UTF8_POLICY, Composed
from eccs.delivery.errors import TemporaryDeliveryError
from eccs.delivery.smtp import SmtpSender
from eccs.platform.addresses import ascii_address


async def send_notice(sender: SmtpSender, smtp_from: str, to: str, subject: str, text: str) -> None:
    """Send one plain-text notice; raises when the relay did not accept it (try again later)."""
    message = EmailMessage(policy=POLICY)
    message["From"] = f"ECCS <{ascii_address(smtp_from)}>"
    message["To"] = ascii_address(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=smtp_from.rpartition("@")[2] or None)
    message.set_content(text)
    smtputf8 = not to.partition("@")[0].isascii()
    policy = UTF8_POLICY if smtputf8 else POLICY
    [answer] = await sender.send(Composed(message.as_bytes(policy=policy), smtputf8), [to])
    if not answer.accepted:
        raise TemporaryDeliveryError(answer.code, f"the notice was not taken: {answer.reply}")
