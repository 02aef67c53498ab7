"""The development mail catcher as a user meets it: real SMTP transactions (aiosmtplib, one per
attempt, like ECCS's worker) into the running catcher, and its inbox read over real HTTP."""

from __future__ import annotations

import asyncio
import os
import smtplib
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib
import httpx
import pytest
import uvicorn

from eccs.devmail import build
from eccs.devmail.rules import DEFAULT_RULES
from eccs.devmail.store import Inbox
from eccs.platform.settings import ConfigError
from tests.servers import postgres
from tests.servers.services import Service, wait_ready

SENDER = "no-reply@eccs.test"


@dataclass
class Catcher:
    http: httpx.AsyncClient
    smtp_port: int

    async def deliver(self, message: EmailMessage, recipients: Sequence[str]) -> dict[str, int]:
        """One SMTP transaction to these recipients: the reply code each one got."""
        raw = message.as_bytes(policy=SMTP_POLICY)
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=self.smtp_port) as client:
            try:
                refused, _ = await client.sendmail(SENDER, list(recipients), raw)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                return {refusal.recipient: refusal.code for refusal in exc.recipients}
        return {r: refused[r].code if r in refused else 250 for r in recipients}

    async def replies(self, message: EmailMessage, recipient: str) -> str:
        """The full reply (code and text) the recipient got to a one-recipient transaction."""
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=self.smtp_port) as client:
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
                await client.sendmail(SENDER, [recipient], message.as_bytes(policy=SMTP_POLICY))
        [refusal] = refused.value.recipients
        return f"{refusal.code} {refusal.message}"

    async def inbox(self, **params: str | int) -> dict[str, object]:
        response = await self.http.get("/api/dev/inbox", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    async def subjects(self, **params: str | int) -> list[str]:
        items = (await self.inbox(**params))["items"]
        assert isinstance(items, list)
        return [item["subject"] for item in items]


@asynccontextmanager
async def running_catcher(directory: Path, rules: str = DEFAULT_RULES) -> AsyncIterator[Catcher]:
    """The standalone catcher app under a real uvicorn server, on this test's event loop."""
    app = build({"ECCS_DATA_DIR": str(directory), "ECCS_DEV_SMTP_RULES": rules})
    listening = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        assert not serving.done(), "the catcher did not start"
        await asyncio.sleep(0.01)
    base_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            yield Catcher(http, app.state.devmail.port)
    finally:
        server.should_exit = True
        await serving
        listening.close()


@pytest.fixture
async def catcher(tmp_path: Path) -> AsyncIterator[Catcher]:
    async with running_catcher(tmp_path / "mail") as running:
        yield running


def compose(
    subject: str = "Hello",
    to: Sequence[str] = ("someone@example.test",),
    text: str = "Hello there",
    html: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"ECCS <{SENDER}>"
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="eccs.test")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


# --- catching and reading -----------------------------------------------------------------------


async def test_a_message_is_caught_and_listed_with_its_envelope(catcher: Catcher) -> None:
    message = compose("Your receipt", to=["ann@example.test"])
    message["Cc"] = "ben@example.test"
    envelope = ["ann@example.test", "ben@example.test", "hidden@example.test"]  # the last is Bcc

    assert await catcher.deliver(message, envelope) == dict.fromkeys(envelope, 250)

    inbox = await catcher.inbox()
    assert inbox["total"] == 1
    [item] = inbox["items"]  # type: ignore[misc]
    assert item["subject"] == "Your receipt"
    assert item["from"] == SENDER
    assert item["to"] == envelope
    assert item["message_id"] == message["Message-ID"]
    assert item["size"] == len(message.as_bytes(policy=SMTP_POLICY))
    assert item["received_at"]


async def test_the_raw_source_is_exactly_what_was_sent(catcher: Catcher) -> None:
    message = compose("Grüße aus Köln", text="Ünïcödé body\n.leading dot\n")
    await catcher.deliver(message, ["someone@example.test"])
    [item] = (await catcher.inbox())["items"]  # type: ignore[misc]

    raw = await catcher.http.get(f"/api/dev/inbox/{item['id']}/raw")

    assert raw.status_code == 200
    assert raw.headers["content-type"] == "message/rfc822"
    assert raw.content == message.as_bytes(policy=SMTP_POLICY)
    assert item["subject"] == "Grüße aus Köln"


async def test_html_and_text_bodies_and_attachments_are_shown(catcher: Catcher) -> None:
    message = compose("Invoice", text="Plain words", html="<p>Rich <b>words</b></p>")
    pdf = b"%PDF-1.4 not really a pdf\x00\xff"
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment("naïve notes", subtype="plain", filename="Notizen für März.txt")
    notes = "naïve notes\r\n".encode()  # as sent: text travels with CRLF line ends
    await catcher.deliver(message, ["someone@example.test"])
    [item] = (await catcher.inbox())["items"]  # type: ignore[misc]

    detail = (await catcher.http.get(f"/api/dev/inbox/{item['id']}")).json()

    assert detail["text"].strip() == "Plain words"
    assert detail["html"].strip() == "<p>Rich <b>words</b></p>"
    assert detail["envelope"] == {"from": SENDER, "to": ["someone@example.test"]}
    assert {"name": "Subject", "value": "Invoice"} in detail["headers"]
    assert detail["attachments"] == [
        {
            "index": 0,
            "filename": "invoice.pdf",
            "content_type": "application/pdf",
            "size": len(pdf),
        },
        {
            "index": 1,
            "filename": "Notizen für März.txt",
            "content_type": "text/plain",
            "size": len(notes),
        },
    ]
    download = await catcher.http.get(f"/api/dev/inbox/{item['id']}/attachments/0")
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''invoice.pdf"
    assert download.headers["x-content-type-options"] == "nosniff"


# --- the rules ----------------------------------------------------------------------------------


async def test_fail_test_is_refused_with_550_every_time(catcher: Catcher) -> None:
    message = compose(to=["nobody@fail.test"])

    for _ in range(3):
        assert await catcher.deliver(message, ["nobody@fail.test"]) == {"nobody@fail.test": 550}
    assert (await catcher.inbox())["total"] == 0


async def test_flaky_test_is_deferred_twice_then_accepted(catcher: Catcher) -> None:
    message = compose("Third time lucky", to=["ann@flaky.test"])
    answers = [await catcher.deliver(message, ["ann@flaky.test"]) for _ in range(3)]

    assert [answer["ann@flaky.test"] for answer in answers] == [451, 451, 250]
    assert await catcher.subjects() == ["Third time lucky"]

    # The next email to the same address goes through the same two deferrals.
    following = compose("Again", to=["ann@flaky.test"])
    answers = [await catcher.deliver(following, ["ann@flaky.test"]) for _ in range(3)]
    assert [answer["ann@flaky.test"] for answer in answers] == [451, 451, 250]


async def test_down_test_is_always_deferred(catcher: Catcher) -> None:
    message = compose(to=["ops@down.test"])

    for _ in range(5):
        assert await catcher.deliver(message, ["ops@down.test"]) == {"ops@down.test": 451}
    assert (await catcher.inbox())["total"] == 0


async def test_each_recipient_of_a_transaction_gets_its_own_answer(catcher: Catcher) -> None:
    everyone = ["ann@example.test", "bob@fail.test", "cat@flaky.test", "dan@down.test"]
    message = compose("Mixed", to=everyone)

    first = await catcher.deliver(message, everyone)
    # Like the worker: the next attempts go only to the recipients without a final answer.
    second = await catcher.deliver(message, ["cat@flaky.test", "dan@down.test"])
    third = await catcher.deliver(message, ["cat@flaky.test", "dan@down.test"])

    assert first == {
        "ann@example.test": 250,
        "bob@fail.test": 550,
        "cat@flaky.test": 451,
        "dan@down.test": 451,
    }
    assert second == {"cat@flaky.test": 451, "dan@down.test": 451}
    assert third == {"cat@flaky.test": 250, "dan@down.test": 451}
    items = (await catcher.inbox())["items"]
    assert [item["to"] for item in items] == [["cat@flaky.test"], ["ann@example.test"]]  # type: ignore[attr-defined]


async def test_rules_come_from_the_environment_with_their_reply_text(tmp_path: Path) -> None:
    async with running_catcher(tmp_path, "grey.test=451 4.7.1 greylisted; try again x1") as catcher:
        message = compose(to=["ann@grey.test"])

        assert await catcher.replies(message, "ann@grey.test") == "451 4.7.1 greylisted; try again"
        assert await catcher.deliver(message, ["ann@grey.test"]) == {"ann@grey.test": 250}
        assert await catcher.deliver(message, ["ann@fail.test"]) == {"ann@fail.test": 250}


def test_a_bad_rule_stops_the_catcher_from_starting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'flaky\.test=451x' is not a valid rule"):
        build({"ECCS_DATA_DIR": str(tmp_path), "ECCS_DEV_SMTP_RULES": "flaky.test=451x"})


# --- keeping, paging, deleting ------------------------------------------------------------------


async def test_messages_survive_a_restart(tmp_path: Path) -> None:
    message = compose("Kept on disk")
    async with running_catcher(tmp_path) as catcher:
        await catcher.deliver(message, ["someone@example.test"])

    async with running_catcher(tmp_path) as catcher:
        [item] = (await catcher.inbox())["items"]  # type: ignore[misc]
        raw = await catcher.http.get(f"/api/dev/inbox/{item['id']}/raw")

    assert item["subject"] == "Kept on disk"
    assert raw.content == message.as_bytes(policy=SMTP_POLICY)


async def test_pages_list_the_newest_first_and_search_narrows_them(catcher: Catcher) -> None:
    for number in range(1, 6):
        await catcher.deliver(compose(f"Message {number}"), [f"user{number}@example.test"])

    assert await catcher.subjects(page=1, page_size=2) == ["Message 5", "Message 4"]
    assert await catcher.subjects(page=2, page_size=2) == ["Message 3", "Message 2"]
    assert await catcher.subjects(page=3, page_size=2) == ["Message 1"]
    assert (await catcher.inbox(page=3, page_size=2))["total"] == 5
    assert await catcher.subjects(q="USER4@") == ["Message 4"]
    assert await catcher.subjects(q="message 1") == ["Message 1"]
    assert (await catcher.http.get("/api/dev/inbox", params={"page_size": 101})).status_code == 422


async def test_delete_empties_the_inbox(catcher: Catcher) -> None:
    await catcher.deliver(compose(), ["someone@example.test"])
    [item] = (await catcher.inbox())["items"]  # type: ignore[misc]

    assert (await catcher.http.delete("/api/dev/inbox")).status_code == 204

    assert (await catcher.inbox())["total"] == 0
    assert (await catcher.http.get(f"/api/dev/inbox/{item['id']}")).status_code == 404
    await catcher.deliver(compose("After"), ["someone@example.test"])
    assert await catcher.subjects() == ["After"]


async def test_an_unknown_message_is_a_404_in_the_error_shape(catcher: Catcher) -> None:
    await catcher.deliver(compose(), ["someone@example.test"])
    [item] = (await catcher.inbox())["items"]  # type: ignore[misc]

    for path in ("nope", "nope/raw", "nope/attachments/0", f"{item['id']}/attachments/0"):
        response = await catcher.http.get(f"/api/dev/inbox/{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] in ("message_not_found", "attachment_not_found")
        assert response.json()["error"]["message"]


async def test_the_oldest_messages_are_dropped_beyond_the_capacity(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path, capacity=3)
    await inbox.load()
    for number in range(5):
        await inbox.add(
            SENDER, ["someone@example.test"], f"Subject: {number}\r\n\r\nx\r\n".encode()
        )

    reopened = Inbox(tmp_path, capacity=3)
    await reopened.load()
    messages, total = reopened.page(1, 10)

    assert [m.subject for m in messages] == ["4", "3", "2"]
    assert total == 3
    assert len(list((tmp_path / "maildir" / "new").iterdir())) == 3


async def test_stopping_does_not_wait_for_an_idle_client(tmp_path: Path) -> None:
    async with running_catcher(tmp_path) as catcher:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=catcher.smtp_port)
        await client.connect()
        await client.ehlo()
        stopping = asyncio.get_running_loop().time()
    # Leaving the block stopped the server with the client still connected and idle.
    assert asyncio.get_running_loop().time() - stopping < 5
    assert await _closed_by_server(client)


async def _closed_by_server(client: aiosmtplib.SMTP) -> bool:
    try:
        await client.noop()
    except aiosmtplib.SMTPServerDisconnected:
        return True
    return False


async def test_every_answer_says_nosniff_and_is_not_stored(catcher: Catcher) -> None:
    await catcher.deliver(compose(subject="Sniffed"), ["someone@example.test"])
    [item] = (await catcher.inbox())["items"]  # type: ignore[union-attr]
    for path in ("/api/dev/inbox", f"/api/dev/inbox/{item['id']}", "/api/dev/inbox/nope"):
        response = await catcher.http.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["cache-control"] == "no-store", path
    raw = await catcher.http.get(f"/api/dev/inbox/{item['id']}/raw")
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert raw.headers["content-security-policy"] == "sandbox"


def test_serve_devmail_runs_the_catcher_on_its_own_with_the_rules(tmp_path: Path) -> None:
    """`eccs serve devmail`, as the compose stack runs it: SMTP on ECCS_DEV_SMTP_PORT, the inbox
    over HTTP, the same ECCS_DEV_SMTP_RULES as embedded mode."""
    smtp_port = postgres.free_port()
    http_port = postgres.free_port()
    env = {
        **os.environ,
        "ECCS_DATA_DIR": str(tmp_path),
        "ECCS_DEV_SMTP_HOST": "127.0.0.1",
        "ECCS_DEV_SMTP_PORT": str(smtp_port),
        "ECCS_DEV_SMTP_RULES": "nope.test=550",
    }
    log = tmp_path / "devmail.log"
    command = [sys.executable, "-m", "eccs", "serve", "devmail", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(http_port)], env=env, stdout=log.open("wb"), stderr=log.open("ab")
    )
    try:
        wait_ready(Service("devmail", f"http://127.0.0.1:{http_port}", process, log))
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, "a@ok.test", "Caught alone"
        message.set_content("Hello")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            refused = client.sendmail(SENDER, ["a@ok.test", "b@nope.test"], message.as_bytes())
        assert refused == {"b@nope.test": (550, refused["b@nope.test"][1])}
        inbox = httpx.get(f"http://127.0.0.1:{http_port}/api/dev/inbox", timeout=5).json()
        assert [item["subject"] for item in inbox["items"]] == ["Caught alone"]
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_serve_devmail_refuses_several_workers() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eccs", "serve", "devmail", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "--workers 1" in result.stderr
