"""SmtpSender against real SMTP servers: the scriptable aiosmtpd server, and Postfix's smtp-sink
as an independent second opinion."""

from __future__ import annotations

import asyncio
import email
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage, MIMEPart
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from eccs.delivery.composing import Attachment, Composed, OutgoingEmail, compose
from eccs.delivery.errors import PermanentDeliveryError, TemporaryDeliveryError
from eccs.delivery.settings import SmtpSettings
from eccs.delivery.smtp import SmtpSender
from eccs.platform.settings import ConfigError, load
from tests.conftest import unavailable
from tests.servers.postgres import free_port
from tests.servers.smtp import SmtpServer, self_signed_tls
from tests.waiting import wait_until

SMTP_FROM = "no-reply@eccs.test"


def outgoing(**changes: Any) -> OutgoingEmail:
    email = OutgoingEmail(
        email_id=uuid.uuid4(),
        sender_name="Alice Example",
        sender_email="alice@example.test",
        subject="Your invoice",
        text="Hello Bob,\nyour invoice is attached.\n",
        html="<p>Hello Bob,<br>your invoice is attached.</p>",
        to=["bob@example.test"],
        cc=["carol@example.test"],
        bcc=["auditor@example.test"],
        attachments=[Attachment("invoice.pdf", "application/pdf", b"%PDF-1.7\x00\xff")],
        created_at=datetime.now(UTC),
    )
    return replace(email, **changes)


def message(**changes: Any) -> Composed:
    return compose(outgoing(**changes), SMTP_FROM)


def settings_for(server: SmtpServer, **overrides: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_from": SMTP_FROM,
        "smtp_timeout_seconds": 5,
        **overrides,
    }
    return SmtpSettings(**values)


@pytest.fixture
async def sender(smtp_server: SmtpServer) -> AsyncIterator[SmtpSender]:
    sender = SmtpSender(settings_for(smtp_server))
    yield sender
    await sender.close()


@pytest.fixture
async def make_sender() -> AsyncIterator[Any]:
    """Senders with settings of the test's choosing, all closed afterwards."""
    senders: list[SmtpSender] = []

    def make(server: SmtpServer, **overrides: Any) -> SmtpSender:
        senders.append(SmtpSender(settings_for(server, **overrides)))
        return senders[-1]

    yield make
    for sender in senders:
        await sender.close()


def text_of(part: MIMEPart | None) -> str:
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


# --- what arrives --------------------------------------------------------------------------------


async def test_the_delivered_message_is_the_composed_one(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    email = outgoing()
    composed = compose(email, SMTP_FROM)

    answers = await sender.send(composed, [*email.to, *email.cc, *email.bcc])

    assert [answer.accepted for answer in answers] == [True, True, True]
    [received] = smtp_server.wait_for(1)
    got = received.message
    sent = message_from_bytes(composed.content, policy=default)
    for header in ("From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID"):
        assert got[header] == sent[header], header
    assert text_of(got.get_body(("plain",))) == email.text
    assert text_of(got.get_body(("html",))).rstrip("\n") == email.html
    [attachment] = got.iter_attachments()
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_payload(decode=True) == b"%PDF-1.7\x00\xff"


async def test_the_envelope_has_every_recipient_bcc_included_and_no_header_names_the_bcc(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    email = outgoing(bcc=["auditor@example.test", "archive@example.test"])

    await sender.send(compose(email, SMTP_FROM), [*email.to, *email.cc, *email.bcc])

    [received] = smtp_server.wait_for(1)
    assert received.mail_from == SMTP_FROM
    assert received.recipients == [
        "bob@example.test",
        "carol@example.test",
        "auditor@example.test",
        "archive@example.test",
    ]
    assert b"auditor" not in received.raw and b"archive" not in received.raw
    assert "Bcc" not in received.message


async def test_only_the_recipients_given_are_sent_to(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    """A retry goes only to the recipients still without a final answer."""
    answers = await sender.send(message(), ["carol@example.test"])

    assert [answer.recipient for answer in answers] == ["carol@example.test"]
    assert smtp_server.wait_for(1)[0].recipients == ["carol@example.test"]


async def test_a_non_ascii_address_is_sent_with_smtputf8(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    answers = await sender.send(message(to=["josé@example.test"]), ["josé@example.test"])

    assert answers[0].accepted
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["josé@example.test"]
    assert [a.addr_spec for a in received.message["To"].addresses] == ["josé@example.test"]


async def test_a_non_ascii_address_through_a_relay_without_smtputf8_is_refused_for_good(
    make_sender: Any,
) -> None:
    with SmtpServer(smtputf8=False) as server:
        sender = make_sender(server)

        with pytest.raises(PermanentDeliveryError, match="SMTPUTF8"):
            await sender.send(message(to=["josé@example.test"]), ["josé@example.test"])


# --- answers per recipient -----------------------------------------------------------------------


async def test_each_recipient_gets_the_servers_answer_for_it(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.recipient("fail.test", "550 5.1.1 no such user")
    smtp_server.rules.recipient("flaky.test", "451 4.3.0 mailbox busy, try later")
    recipients = ["ok@example.test", "nobody@fail.test", "busy@flaky.test"]

    ok, refused, deferred = await sender.send(message(to=recipients), recipients)

    assert (ok.recipient, ok.accepted, ok.code) == ("ok@example.test", True, 250)
    assert (refused.recipient, refused.refused, refused.code) == ("nobody@fail.test", True, 550)
    assert refused.reply == "5.1.1 no such user"
    assert (deferred.recipient, deferred.deferred, deferred.code) == ("busy@flaky.test", True, 451)
    assert deferred.reply == "4.3.0 mailbox busy, try later"
    assert smtp_server.wait_for(1)[0].recipients == ["ok@example.test"]


async def test_when_every_recipient_is_refused_the_answers_say_so_and_nothing_is_sent(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.recipient("fail.test", "550 5.1.1 no such user")
    smtp_server.rules.recipient("flaky.test", "452 4.2.2 mailbox full")

    answers = await sender.send(message(), ["a@fail.test", "b@flaky.test"])

    assert [(a.code, a.refused, a.deferred) for a in answers] == [
        (550, True, False),
        (452, False, True),
    ]
    assert smtp_server.messages == []
    # The transaction was reset: the same connection carries the next email.
    assert (await sender.send(message(), ["ok@example.test"]))[0].accepted
    assert smtp_server.connections == 1


async def test_a_flaky_recipient_is_accepted_once_the_server_is_ready(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.recipient("flaky.test", "451", "451", "250")
    email = message(to=["someone@flaky.test"])

    outcomes = [(await sender.send(email, ["someone@flaky.test"]))[0] for _ in range(3)]

    assert [(a.deferred, a.accepted) for a in outcomes] == [
        (True, False),
        (True, False),
        (False, True),
    ]
    assert len(smtp_server.messages) == 1


async def test_a_recipient_listed_twice_is_sent_to_once_and_answered_for_each_listing(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    answers = await sender.send(message(), ["bob@example.test", "bob@example.test"])

    assert [a.recipient for a in answers] == ["bob@example.test", "bob@example.test"]
    assert smtp_server.wait_for(1)[0].recipients == ["bob@example.test"]


# --- failures of the whole transaction -----------------------------------------------------------


async def test_a_server_refusing_connections_with_421_is_a_temporary_failure(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.greeting = "421 4.3.2 too busy, come back later"

    with pytest.raises(TemporaryDeliveryError) as failure:
        await sender.send(message(), ["bob@example.test"])

    assert failure.value.code == 421
    assert "too busy" in failure.value.reply


async def test_no_server_listening_is_a_temporary_failure(make_sender: Any) -> None:
    server = SmtpServer().start()
    server.stop()  # nothing listens on its port any more
    sender = make_sender(server)

    with pytest.raises(TemporaryDeliveryError) as failure:
        await sender.send(message(), ["bob@example.test"])

    assert failure.value.code is None


async def test_a_connection_dropped_before_the_servers_answer_to_data_is_a_temporary_failure(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.disconnect_at = "DATA"

    with pytest.raises(TemporaryDeliveryError, match="connection lost"):
        await sender.send(message(), ["bob@example.test"])

    smtp_server.rules.disconnect_at = None
    assert (await sender.send(message(), ["bob@example.test"]))[0].accepted


async def test_a_server_that_keeps_dropping_connections_is_tried_twice_then_a_temporary_failure(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    await sender.send(message(), ["bob@example.test"])  # leaves a connection in the pool
    smtp_server.rules.disconnect_at = "MAIL"

    with pytest.raises(TemporaryDeliveryError):
        await sender.send(message(), ["bob@example.test"])

    assert smtp_server.connections == 2  # the kept one, then one fresh one: no more


async def test_data_refused_with_554_is_a_permanent_failure(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.data = "554 5.7.1 message rejected as spam"

    with pytest.raises(PermanentDeliveryError) as failure:
        await sender.send(message(), ["bob@example.test", "carol@example.test"])

    assert (failure.value.code, failure.value.reply) == (554, "5.7.1 message rejected as spam")
    assert smtp_server.messages == []


async def test_data_deferred_with_451_is_a_temporary_failure(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.data = "451 4.7.1 greylisted, try again in 5 minutes"

    with pytest.raises(TemporaryDeliveryError) as failure:
        await sender.send(message(), ["bob@example.test"])

    assert failure.value.code == 451


async def test_the_sender_address_refused_is_permanent_and_deferred_is_temporary(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    smtp_server.rules.mail = "553 5.7.1 sender address rejected"
    with pytest.raises(PermanentDeliveryError) as refused:
        await sender.send(message(), ["bob@example.test"])
    assert refused.value.code == 553

    smtp_server.rules.mail = "450 4.7.1 sender domain has no MX yet"
    with pytest.raises(TemporaryDeliveryError) as deferred:
        await sender.send(message(), ["bob@example.test"])
    assert deferred.value.code == 450

    smtp_server.rules.mail = None  # after both failures, the connection still works
    assert (await sender.send(message(), ["bob@example.test"]))[0].accepted
    assert smtp_server.connections == 1


async def test_a_server_that_never_answers_fails_temporarily_within_the_timeout(
    smtp_server: SmtpServer, make_sender: Any
) -> None:
    smtp_server.rules.silent = True
    sender = make_sender(smtp_server, smtp_timeout_seconds=0.5)

    started = time.monotonic()
    with pytest.raises(TemporaryDeliveryError):
        await sender.send(message(), ["bob@example.test"])

    assert time.monotonic() - started < 2


async def test_a_server_stalling_after_the_message_fails_temporarily_within_the_timeout(
    smtp_server: SmtpServer, make_sender: Any
) -> None:
    smtp_server.rules.delay["DATA"] = 30
    sender = make_sender(smtp_server, smtp_timeout_seconds=0.5)

    started = time.monotonic()
    with pytest.raises(TemporaryDeliveryError):
        await sender.send(message(), ["bob@example.test"])

    assert time.monotonic() - started < 2


async def test_the_timeout_bounds_the_whole_send_not_each_command(
    smtp_server: SmtpServer, make_sender: Any
) -> None:
    for command in ("MAIL", "RCPT", "DATA"):
        smtp_server.rules.delay[command] = 0.4  # each answer in time, all three too late
    sender = make_sender(smtp_server, smtp_timeout_seconds=1.0)

    started = time.monotonic()
    with pytest.raises(TemporaryDeliveryError):
        await sender.send(message(), ["bob@example.test"])

    assert time.monotonic() - started < 2


# --- connections ---------------------------------------------------------------------------------


async def test_connections_are_reused_across_messages(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    for _ in range(10):
        assert (await sender.send(message(), ["bob@example.test"]))[0].accepted

    assert len(smtp_server.wait_for(10)) == 10
    assert smtp_server.connections == 1


async def test_many_concurrent_sends_share_at_most_pool_size_connections(
    smtp_server: SmtpServer, make_sender: Any
) -> None:
    smtp_server.rules.delay["DATA"] = 0.02  # so sends overlap
    sender = make_sender(smtp_server, smtp_pool_size=3)

    results = await asyncio.gather(
        *(sender.send(message(), [f"user{i}@example.test"]) for i in range(30))
    )

    assert all(answers[0].accepted for answers in results)
    assert len(smtp_server.wait_for(30)) == 30
    assert smtp_server.connections <= 3


async def test_a_connection_the_server_closed_while_idle_is_replaced_without_failing(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    await sender.send(message(), ["bob@example.test"])
    smtp_server.drop_connections()
    smtp_server.wait_until_closed()

    answers = await sender.send(message(), ["bob@example.test"])

    assert answers[0].accepted
    assert smtp_server.connections == 2


async def test_a_kept_connection_answered_421_is_replaced_without_failing(
    smtp_server: SmtpServer, sender: SmtpSender
) -> None:
    await sender.send(message(), ["bob@example.test"])
    # The next MAIL FROM (on the kept connection) hears "closing", the one after is accepted.
    smtp_server.rules.mail = ["421 4.4.2 idle too long, closing", "250"]

    answers = await sender.send(message(), ["bob@example.test"])

    assert answers[0].accepted
    assert smtp_server.connections == 2
    assert len(smtp_server.messages) == 2


async def test_close_says_goodbye_on_every_kept_connection(
    smtp_server: SmtpServer, make_sender: Any
) -> None:
    sender = make_sender(smtp_server, smtp_pool_size=2)
    smtp_server.rules.delay["DATA"] = 0.05
    await asyncio.gather(*(sender.send(message(), ["bob@example.test"]) for _ in range(2)))
    assert smtp_server.open_connections == 2

    await sender.close()

    smtp_server.wait_until_closed()


# --- TLS and authentication ----------------------------------------------------------------------


CREDENTIALS = ("eccs", "s3cr3t-pass")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """A relay offering STARTTLS with a self-signed certificate, and AUTH only after it."""
    with SmtpServer(tls_context=self_signed_tls(tmp_path), credentials=CREDENTIALS) as server:
        yield server


def secured(**overrides: Any) -> dict[str, Any]:
    """Settings for the TLS relay: our test certificate is self-signed, so no verification."""
    user, password = CREDENTIALS
    return {"smtp_user": user, "smtp_pass": password, "smtp_tls_verify": False, **overrides}


async def test_starttls_when_offered_then_auth(tls_server: SmtpServer, make_sender: Any) -> None:
    sender = make_sender(tls_server, **secured(smtp_starttls="auto"))

    answers = await sender.send(message(), ["bob@example.test"])

    assert answers[0].accepted
    [received] = tls_server.wait_for(1)
    assert received.tls
    assert received.user == "eccs"


async def test_starttls_required_works_with_a_relay_that_offers_it(
    tls_server: SmtpServer, make_sender: Any
) -> None:
    sender = make_sender(tls_server, **secured(smtp_starttls="true"))

    assert (await sender.send(message(), ["bob@example.test"]))[0].accepted
    assert tls_server.wait_for(1)[0].tls


async def test_starttls_required_but_not_offered_is_a_temporary_failure(
    smtp_server: SmtpServer, make_sender: Any
) -> None:
    sender = make_sender(smtp_server, smtp_starttls="true")

    with pytest.raises(TemporaryDeliveryError, match="STARTTLS"):
        await sender.send(message(), ["bob@example.test"])
    assert smtp_server.messages == []


async def test_starttls_off_sends_in_the_clear(tls_server: SmtpServer, make_sender: Any) -> None:
    sender = make_sender(tls_server, smtp_starttls="false")

    assert (await sender.send(message(), ["bob@example.test"]))[0].accepted
    assert not tls_server.wait_for(1)[0].tls


async def test_an_unverifiable_certificate_is_refused_by_default(
    tls_server: SmtpServer, make_sender: Any
) -> None:
    sender = make_sender(tls_server, **secured(smtp_tls_verify=True))

    with pytest.raises(TemporaryDeliveryError, match="certificate"):
        await sender.send(message(), ["bob@example.test"])
    assert tls_server.messages == []


async def test_a_wrong_password_is_a_temporary_failure_with_the_servers_answer(
    tls_server: SmtpServer, make_sender: Any
) -> None:
    sender = make_sender(tls_server, **secured(smtp_pass="not-the-password"))

    with pytest.raises(TemporaryDeliveryError) as failure:
        await sender.send(message(), ["bob@example.test"])

    assert failure.value.code == 535
    assert tls_server.messages == []


async def test_the_connection_stays_encrypted_and_authenticated_when_reused(
    tls_server: SmtpServer, make_sender: Any
) -> None:
    sender = make_sender(tls_server, **secured())

    for _ in range(3):
        await sender.send(message(), ["bob@example.test"])

    assert all(received.tls and received.user == "eccs" for received in tls_server.wait_for(3))
    assert tls_server.connections == 1


# --- settings ------------------------------------------------------------------------------------


def test_smtp_pass_is_required_when_smtp_user_is_set() -> None:
    with pytest.raises(ConfigError, match="SMTP_PASS"):
        load(SmtpSettings, {"SMTP_USER": "eccs"}).require_secrets()


@pytest.mark.parametrize("placeholder", ["changeme", "CHANGEME", "password", "secret", "  "])
def test_a_placeholder_smtp_pass_is_refused(placeholder: str) -> None:
    settings = load(SmtpSettings, {"SMTP_USER": "eccs", "SMTP_PASS": placeholder})

    with pytest.raises(ConfigError, match="SMTP_PASS"):
        settings.require_secrets()


def test_a_real_smtp_pass_or_no_smtp_user_at_all_is_fine(tmp_path: Path) -> None:
    secret = tmp_path / "smtp_pass"
    secret.write_text("a-real-relay-password\n")

    load(
        SmtpSettings, {"SMTP_USER": "eccs", "SMTP_PASS": "a-real-relay-password"}
    ).require_secrets()
    from_file = load(SmtpSettings, {"SMTP_USER": "eccs", "SMTP_PASS_FILE": str(secret)})
    from_file.require_secrets()
    assert from_file.smtp_pass is not None
    assert from_file.smtp_pass.get_secret_value() == "a-real-relay-password"
    load(SmtpSettings, {"SMTP_USER": ""}).require_secrets()
    load(SmtpSettings, {}).require_secrets()


def test_settings_read_the_documented_variables() -> None:
    settings = load(
        SmtpSettings,
        {
            "SMTP_HOST": "relay.example.com",
            "SMTP_PORT": "2525",
            "SMTP_FROM": "mailer@example.com",
            "SMTP_STARTTLS": "TRUE",
        },
    )

    assert (settings.smtp_host, settings.smtp_port) == ("relay.example.com", 2525)
    assert (settings.smtp_from, settings.smtp_starttls) == ("mailer@example.com", "true")
    assert load(SmtpSettings, {}).smtp_starttls == "auto"


@pytest.mark.parametrize("value", ["not-an-address", "Mailer <mailer@example.com>", "a@b, c@d"])
def test_smtp_from_must_be_one_plain_address(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^SMTP_FROM must be one plain address"):
        load(SmtpSettings, {"SMTP_FROM": value})


# --- a second opinion: Postfix's smtp-sink -------------------------------------------------------


@dataclass
class SmtpSink:
    port: int
    dump_dir: Path

    def received(self) -> list[EmailMessage]:
        """What smtp-sink dumped: each message, with its envelope as X-Mail-Args/X-Rcpt-Args."""
        return [
            email.message_from_bytes(path.read_bytes(), policy=default)
            for path in sorted(self.dump_dir.rglob("*"))
            if path.is_file()
        ]


def smtp_sink_binary() -> str | None:
    return shutil.which("smtp-sink") or (
        "/usr/sbin/smtp-sink" if os.access("/usr/sbin/smtp-sink", os.X_OK) else None
    )


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    binary = smtp_sink_binary()
    if binary is None:
        unavailable("smtp-sink is not installed (scripts/test-servers.sh installs postfix)")
        raise AssertionError("unreachable")
    # As root, smtp-sink runs as `nobody`, who must be able to write the dumps.
    dump_dir = Path(tempfile.mkdtemp(prefix="eccs-smtp-sink-"))
    dump_dir.chmod(0o777)
    sink = SmtpSink(free_port(), dump_dir)
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    # -a: offer no AUTH; -d: one file per message (the template plus a random suffix).
    process = subprocess.Popen(
        [binary, "-a", *as_user, "-d", f"{dump_dir}/%H%M%S.", f"127.0.0.1:{sink.port}", "64"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(sink.port, process)
        yield sink
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        shutil.rmtree(dump_dir, ignore_errors=True)


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    def listening() -> bool:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"smtp-sink exited: {stderr}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return False
        return True

    wait_until(listening, f"smtp-sink listening on {port}", timeout)


def sink_settings(sink: SmtpSink, **overrides: Any) -> SmtpSettings:
    return SmtpSettings(
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_from=SMTP_FROM,
        smtp_timeout_seconds=10,
        **overrides,
    )


async def test_a_batch_reaches_smtp_sink_intact_without_delayed_ack_stalls(
    smtp_sink: SmtpSink,
) -> None:
    sender = SmtpSender(sink_settings(smtp_sink, smtp_pool_size=1))
    # Some kilobytes each: big enough that a client writing a message in pieces, with Nagle's
    # algorithm on, would wait ~40 ms per message for the server's delayed ACK.
    emails = [
        outgoing(
            subject=f"Batch message {i}",
            attachments=[Attachment(f"data-{i}.bin", "application/octet-stream", os.urandom(6000))],
        )
        for i in range(40)
    ]
    latencies = []
    try:
        for email_ in emails:
            started = time.perf_counter()
            answers = await sender.send(compose(email_, SMTP_FROM), [*email_.to, *email_.bcc])
            latencies.append(time.perf_counter() - started)
            assert all(answer.accepted for answer in answers)
    finally:
        await sender.close()

    received = {str(dump["Subject"]): dump for dump in smtp_sink.received()}
    assert len(received) == len(emails)
    for sent in emails:
        dump = received[sent.subject]
        assert dump["X-Mail-Args"] == f"<{SMTP_FROM}>"
        assert dump.get_all("X-Rcpt-Args") == ["<bob@example.test>", "<auditor@example.test>"]
        [attachment] = dump.iter_attachments()
        assert attachment.get_payload(decode=True) == sent.attachments[0].content
    median = statistics.median(latencies)
    assert median < 0.02, f"median send took {median * 1000:.1f} ms"


async def test_concurrent_sends_all_reach_smtp_sink(smtp_sink: SmtpSink) -> None:
    sender = SmtpSender(sink_settings(smtp_sink, smtp_pool_size=4))
    try:
        results = await asyncio.gather(
            *(sender.send(message(subject=f"n{i}"), ["bob@example.test"]) for i in range(100))
        )
    finally:
        await sender.close()

    assert all(answers[0].accepted for answers in results)
    assert sorted(str(dump["Subject"]) for dump in smtp_sink.received()) == sorted(
        f"n{i}" for i in range(100)
    )
