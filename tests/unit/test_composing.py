"""Composing the MIME message, read back the way a mail client would read it."""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.message import EmailMessage, MIMEPart
from email.utils import parsedate_to_datetime

import pytest

from eccs.delivery.composing import (
    BUILD_ON_THREAD_BYTES,
    Attachment,
    Composed,
    OutgoingEmail,
    build,
    compose,
    message_id,
)

SMTP_FROM = "no-reply@mail.example.test"
CREATED = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def outgoing(**changes: object) -> OutgoingEmail:
    email_ = OutgoingEmail(
        email_id=uuid.UUID("7b1f9e0c-3a52-4c1e-9d51-2b6f0a8e4c11"),
        sender_name="Alice Example",
        sender_email="alice@example.test",
        subject="Quarterly report",
        text="Hello,\nthe report is attached.\n",
        html="<p>Hello,<br>the report is attached.</p>",
        to=["bob@example.test", "carol@example.test"],
        cc=["dave@example.test"],
        bcc=["secret-eve@hidden.test", "secret-frank@hidden.test"],
        attachments=[],
        created_at=CREATED,
    )
    return replace(email_, **changes)  # type: ignore[arg-type]


def wire(message: Composed) -> bytes:
    """The bytes a relay receives."""
    return message.content


def read_back(message: Composed) -> EmailMessage:
    """The message as a mail client parses it from the wire."""
    return email.message_from_bytes(wire(message), policy=email.policy.default)


def text_of(part: MIMEPart | None) -> str:
    """A text part's content as a reader sees it (lines end in CRLF on the wire)."""
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def addresses(message: EmailMessage, header: str) -> list[str]:
    return [address.addr_spec for address in message[header].addresses]


def test_from_is_the_platform_address_with_the_senders_name_and_replies_go_to_the_sender() -> None:
    received = read_back(compose(outgoing(), SMTP_FROM))

    [author] = received["From"].addresses
    assert (author.display_name, author.addr_spec) == ("Alice Example", SMTP_FROM)
    [reply_to] = received["Reply-To"].addresses
    assert reply_to.addr_spec == "alice@example.test"


def test_an_email_without_a_sender_address_has_no_reply_to() -> None:
    """ECCS's own account emails: From is the platform, and there is nobody to reply to."""
    received = read_back(compose(outgoing(sender_name="ECCS", sender_email=""), SMTP_FROM))

    assert received["Reply-To"] is None
    [author] = received["From"].addresses
    assert (author.display_name, author.addr_spec) == ("ECCS", SMTP_FROM)


def test_to_and_cc_list_every_recipient_and_the_subject_and_date_are_set() -> None:
    received = read_back(compose(outgoing(), SMTP_FROM))

    assert addresses(received, "To") == ["bob@example.test", "carol@example.test"]
    assert addresses(received, "Cc") == ["dave@example.test"]
    assert received["Subject"] == "Quarterly report"
    assert parsedate_to_datetime(received["Date"]) == CREATED
    assert received["MIME-Version"] == "1.0"


def test_bcc_recipients_appear_nowhere_in_the_message() -> None:
    raw = wire(compose(outgoing(), SMTP_FROM))

    assert b"secret-eve" not in raw
    assert b"secret-frank" not in raw
    assert b"hidden.test" not in raw
    assert "Bcc" not in read_back(compose(outgoing(), SMTP_FROM))


def test_no_cc_header_when_there_is_no_cc() -> None:
    received = read_back(compose(outgoing(cc=[]), SMTP_FROM))

    assert "Cc" not in received


def test_text_and_html_become_alternatives_with_text_first() -> None:
    received = read_back(compose(outgoing(), SMTP_FROM))

    assert received.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in received.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert text_of(received.get_body(("plain",))) == "Hello,\nthe report is attached.\n"
    html = text_of(received.get_body(("html",)))
    assert html.rstrip("\n") == "<p>Hello,<br>the report is attached.</p>"


def test_text_alone_is_a_single_plain_part() -> None:
    received = read_back(compose(outgoing(html=None), SMTP_FROM))

    assert received.get_content_type() == "text/plain"
    assert not received.is_multipart()
    assert text_of(received) == "Hello,\nthe report is attached.\n"


def test_html_alone_is_a_single_html_part() -> None:
    received = read_back(compose(outgoing(text=None), SMTP_FROM))

    assert received.get_content_type() == "text/html"
    assert not received.is_multipart()
    assert "the report is attached" in text_of(received)


def test_attachments_arrive_with_their_name_type_and_exact_bytes() -> None:
    pdf = Attachment("report.pdf", "application/pdf", b"%PDF-1.7\x00\xff\xfe binary \r\n\x00")
    csv = Attachment("numbers.csv", "text/csv", b"a,b\r\n1,2\r\n")
    received = read_back(compose(outgoing(attachments=[pdf, csv]), SMTP_FROM))

    assert received.get_content_type() == "multipart/mixed"
    got = [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in received.iter_attachments()
    ]
    assert got == [
        ("report.pdf", "application/pdf", pdf.content),
        ("numbers.csv", "text/csv", csv.content),
    ]
    body = received.get_body(("html", "plain"))
    assert body is not None and body.get_content_type() == "text/html"


async def test_a_large_message_is_built_whole_off_the_event_loop() -> None:
    """Large enough to be encoded on a thread, the message still arrives whole."""
    big = Attachment("archive.bin", "application/octet-stream", bytes(range(256)) * 2048)
    large = outgoing(attachments=[big])
    assert large.size > BUILD_ON_THREAD_BYTES

    built = await build(large, SMTP_FROM)

    received = read_back(built)
    assert received["Subject"] == "Quarterly report"
    assert text_of(received.get_body(("plain",))) == large.text
    [part] = received.iter_attachments()
    assert part.get_payload(decode=True) == big.content


def test_a_non_ascii_filename_is_encoded_and_read_back_intact() -> None:
    attachment = Attachment("Überweisung März · 東京.pdf", "application/pdf", b"%PDF")
    message = compose(outgoing(attachments=[attachment]), SMTP_FROM)

    assert wire(message).isascii()
    [part] = read_back(message).iter_attachments()
    assert part.get_filename() == "Überweisung März · 東京.pdf"


def test_an_unreadable_content_type_is_sent_as_opaque_bytes() -> None:
    attachment = Attachment("blob", "not a type", b"\x01\x02")
    [part] = read_back(compose(outgoing(attachments=[attachment]), SMTP_FROM)).iter_attachments()

    assert part.get_content_type() == "application/octet-stream"
    assert part.get_payload(decode=True) == b"\x01\x02"


def test_non_ascii_subject_name_and_body_are_encoded_and_read_back_intact() -> None:
    message = compose(
        outgoing(
            sender_name="Zoë Ångström, Jr.",
            subject="Grüße aus Köln · 東京 🎉",
            text="Schöne Grüße\n" + "ä" * 300 + "\n",
            html="<p>Schöne Grüße 🎉</p>",
        ),
        SMTP_FROM,
    )

    raw = wire(message)
    assert raw.isascii()  # valid through any relay, with or without 8BITMIME or SMTPUTF8
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    received = read_back(message)
    assert received["Subject"] == "Grüße aus Köln · 東京 🎉"
    assert received["From"].addresses[0].display_name == "Zoë Ångström, Jr."
    assert text_of(received.get_body(("plain",))) == "Schöne Grüße\n" + "ä" * 300 + "\n"


def test_long_non_ascii_subject_name_and_header_are_folded_and_read_back_intact() -> None:
    subject = "Ihre Bestellung Nr. 4711 ist unterwegs: Grüße aus Köln und Düsseldorf · 東京 🎉"
    name = "Zoë Ångström-Öberg, Kundendienst für Überseebestellungen"
    tag = "Sommeraktion für Bestandskunden in Österreich, der Schweiz und Südtirol"

    message = compose(
        outgoing(sender_name=name, subject=subject, headers=[("X-Tag", tag)]), SMTP_FROM
    )

    raw = wire(message)
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    received = read_back(message)
    assert received["Subject"] == subject
    # Read with the RFC 2047 decoder: the stdlib's address parser keeps the folding whitespace
    # between two encoded words of a name, which the RFC says a reader drops.
    written_from = email.message_from_bytes(raw, policy=email.policy.compat32)["From"]
    assert str(make_header(decode_header(written_from))) == f"{name} <{SMTP_FROM}>"
    assert received["X-Tag"] == tag


def test_message_id_is_the_same_on_every_attempt_and_unique_per_email() -> None:
    first = read_back(compose(outgoing(), SMTP_FROM))["Message-ID"]
    again = read_back(compose(outgoing(), SMTP_FROM))["Message-ID"]
    other = read_back(compose(outgoing(email_id=uuid.uuid4()), SMTP_FROM))["Message-ID"]

    assert first == again == "<7b1f9e0c-3a52-4c1e-9d51-2b6f0a8e4c11@mail.example.test>"
    assert other != first
    assert read_back(compose(outgoing(), SMTP_FROM))["Message-ID"] == first


def test_message_id_uses_the_ascii_form_of_an_international_domain() -> None:
    email_id = uuid.uuid4()

    assert message_id(email_id, "post@bücher.example") == f"<{email_id}@xn--bcher-kva.example>"


def test_date_keeps_the_moment_whatever_the_time_zone() -> None:
    in_tokyo = CREATED.astimezone(timezone(timedelta(hours=9)))

    received = read_back(compose(outgoing(created_at=in_tokyo), SMTP_FROM))

    assert parsedate_to_datetime(received["Date"]) == CREATED


def test_a_line_break_in_the_subject_is_refused_rather_than_becoming_a_header() -> None:
    with pytest.raises(ValueError):
        compose(outgoing(subject="Hi\r\nBcc: victim@example.test"), SMTP_FROM)
