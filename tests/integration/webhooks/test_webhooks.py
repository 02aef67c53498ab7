"""Webhooks and suppressions end to end, on real servers: email-service and the notification
worker (with its dispatcher) as processes, Apache Kafka, an SMTP server whose answers each test
scripts, real HTTP receivers that check every signature (one that fails then recovers, one that
hangs, one that redirects), and a DNS server whose answers a test can change (conftest.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.conftest import error_of, fields_of
from tests.integration.webhooks.conftest import (
    DISABLE_AFTER,
    HOOK_TIMEOUT,
    PER_ENDPOINT,
    PRIVATE,
    Sender,
    of_type,
)
from tests.servers.dns import DnsServer
from tests.servers.receivers import Receiver
from tests.servers.smtp import SmtpServer
from tests.waiting import wait_for

pytestmark = pytest.mark.usefixtures("worker")


# --- events, signed ---------------------------------------------------------------------------


def test_each_outcome_arrives_as_a_signed_event_the_receiver_can_verify(
    sender: Sender,
    receiver: Receiver,
    smtp: SmtpServer,
    address: Callable[..., str],
    signed_up: Callable[[str], Sender],
) -> None:
    accepted, refused = address("ok"), address("gone")
    smtp.rules.recipient(refused, "550 5.1.1 no such user")
    endpoint = sender.endpoint(receiver.url)
    stranger = signed_up("Mallory")
    stranger.send(address("other"), subject="Not yours")

    email_id = sender.send(accepted, refused, subject="Receipt")

    requests = receiver.wait_for(2)
    events = {r.event["data"]["recipient"]: r for r in requests}
    assert set(events) == {accepted, refused}
    sent, failed = events[accepted].event, events[refused].event
    assert sent["type"] == "email.sent" and failed["type"] == "email.failed"
    assert sent["data"]["email_id"] == email_id and sent["data"]["subject"] == "Receipt"
    assert sent["data"]["smtp_code"] == 250 and sent["data"]["attempt"] == 1
    assert failed["data"]["smtp_code"] == 550 and failed["data"]["reason"] == "refused"
    for request in requests:
        assert request.verified_by(endpoint["secret"])
        assert not request.verified_by("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")
        assert request.headers["webhook-id"] == request.event["id"]
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
        assert request.headers["content-type"] == "application/json"
    receiver.stays_quiet(1.0, "no event of another sender's reaches this endpoint")
    kept = {e["id"]: e for e in sender.api.get("/api/webhooks/events").json()["items"]}
    for request in requests:
        shown = kept[request.event["id"]]
        assert (shown["type"], shown["email_id"]) == (request.event["type"], email_id)
        data = {k: v for k, v in shown["payload"]["data"].items() if v is not None}
        assert {**shown["payload"], "data": data} == request.event


def test_the_owner_sees_each_attempt_with_its_status_latency_and_answer(
    sender: Sender, receiver: Receiver, address: Callable[..., str]
) -> None:
    receiver.answers = [500, 503, 200]
    endpoint = sender.endpoint(receiver.url, "email.sent")

    sender.send(address("ok"))

    requests = receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1, "a retry is the same event"
    delivery = wait_for(
        lambda: next(
            (d for d in sender.deliveries(endpoint["id"]) if d["status"] == "delivered"), None
        ),
        "the delivery recorded as delivered",
    )
    attempts = delivery["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert [a["response_excerpt"] for a in attempts] == [
        "answered 500",
        "answered 503",
        "answered 200",
    ]
    assert all(a["latency_ms"] > 0 for a in attempts)
    assert sender.api.get(f"/api/webhooks/{endpoint['id']}").json()["consecutive_failures"] == 0


# --- suppressions --------------------------------------------------------------------------------


def test_a_550_suppresses_the_address_and_the_next_send_skips_only_it(
    sender: Sender,
    receiver: Receiver,
    smtp: SmtpServer,
    address: Callable[..., str],
) -> None:
    gone, other = address("gone"), address("other")
    smtp.rules.recipient(gone, "550 5.1.1 no such user here")
    sender.endpoint(receiver.url, "email.suppressed")
    sender.finished(sender.send(gone), "failed")
    listed = sender.api.get(f"/api/suppressions/{gone}").json()
    assert (listed["reason"], listed["smtp_code"]) == ("refused", 550)
    rcpts_before = smtp.rules.rcpts(gone)

    email = sender.finished(sender.send(gone, other, subject="Again"), "sent")

    outcomes = {r["address"]: r["status"] for r in email["recipients"]}
    assert outcomes == {gone: "suppressed", other: "accepted"}
    assert smtp.rules.rcpts(gone) == rcpts_before, "the suppressed address was tried"
    [delivered] = [m for m in smtp.messages if m.message["Subject"] == "Again"]
    assert delivered.recipients == [other]
    assert any(step["outcome"] == "suppressed" for step in email["timeline"])
    [event] = receiver.wait_for(1)
    assert event.event["data"]["recipient"] == gone
    assert event.event["data"]["reason"] == "refused"


def test_an_email_with_only_suppressed_recipients_fails_without_a_connection(
    sender: Sender, smtp: SmtpServer, address: Callable[..., str]
) -> None:
    listed = address("listed")
    smtp.rules.recipient(listed, "250")  # counted
    added = sender.api.post("/api/suppressions", json={"address": listed.upper()})
    assert added.status_code == 201, added.text

    email = sender.finished(sender.send(listed), "failed")

    assert email["recipients"][0]["status"] == "suppressed"
    assert email["last_error"] and "suppression list" in email["last_error"]
    assert smtp.rules.rcpts(listed) == 0
    removed = sender.api.delete(f"/api/suppressions/{listed}")
    assert removed.status_code == 204
    assert sender.finished(sender.send(listed), "sent")["recipients"][0]["status"] == "accepted"


def test_a_refusal_about_policy_rather_than_the_mailbox_suppresses_nothing(
    sender: Sender, smtp: SmtpServer, address: Callable[..., str]
) -> None:
    spam_filtered = address("filtered")
    smtp.rules.recipient(spam_filtered, "550 5.7.1 message refused as spam")

    sender.finished(sender.send(spam_filtered), "failed")

    assert sender.api.get(f"/api/suppressions/{spam_filtered}").status_code == 404


def test_an_unsubscribe_and_a_complaint_suppress_and_reach_the_webhooks(
    sender: Sender, receiver: Receiver, smtp: SmtpServer, address: Callable[..., str]
) -> None:
    reader, grumpy = address("reader"), address("grumpy")
    sender.endpoint(receiver.url, "email.unsubscribed", "email.complained")
    sender.finished(sender.send(reader, subject="Newsletter", list_unsubscribe=True), "sent")
    [message] = [m for m in smtp.messages if reader in m.recipients]
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message.message["List-Unsubscribe"].strip("<>")

    one_click = {"content": b"List-Unsubscribe=One-Click", "timeout": 10}
    headers = {"content-type": "application/x-www-form-urlencoded"}
    first = httpx.post(link, headers=headers, **one_click)  # type: ignore[arg-type]
    again = httpx.post(link, headers=headers, **one_click)  # type: ignore[arg-type]
    complained = sender.api.post(
        f"/api/emails/{sender.send(grumpy)}/complaint", json={"recipient": grumpy}
    )

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == {"address": reader, "sender": "Alice"}
    assert complained.status_code == 201 and complained.json()["reason"] == "complaint"
    assert sender.api.get(f"/api/suppressions/{reader}").json()["reason"] == "unsubscribed"
    events = receiver.wait_for(2)
    assert sorted(r.event["type"] for r in events) == ["email.complained", "email.unsubscribed"]
    receiver.stays_quiet(1.0, "the second click is not announced again")


# --- endpoints that misbehave --------------------------------------------------------------------


def test_a_receiver_that_hangs_slows_neither_delivery_nor_other_endpoints(
    sender: Sender,
    receiver: Receiver,
    another_receiver: Receiver,
    address: Callable[..., str],
) -> None:
    receiver.hang = True
    hanging = sender.endpoint(receiver.url, "email.sent")
    sender.endpoint(another_receiver.url, "email.sent")
    started = time.monotonic()

    email_ids = [sender.send(address(f"r{n}")) for n in range(6)]

    for email_id in email_ids:
        sender.finished(email_id, "sent", timeout=15)
    assert len(another_receiver.wait_for(6, timeout=10)) == 6
    assert time.monotonic() - started < 10
    # At most PER_ENDPOINT requests at once: each is held until the time limit cuts it off, so
    # no more than that many arrive within one time limit.
    arrivals = sorted(r.at for r in receiver.wait_for(PER_ENDPOINT + 1, timeout=10))
    assert all(
        later - earlier >= HOOK_TIMEOUT * 0.9
        for earlier, later in zip(arrivals, arrivals[PER_ENDPOINT:], strict=False)
    ), arrivals
    attempts = [a for d in sender.deliveries(hanging["id"]) for a in d["attempts"]]
    assert attempts and all(a["status_code"] is None for a in attempts)
    assert f"no answer within {HOOK_TIMEOUT:g} s" in attempts[0]["error"]


def test_redirects_are_not_followed(
    sender: Sender, receiver: Receiver, another_receiver: Receiver, address: Callable[..., str]
) -> None:
    receiver.redirect(another_receiver.url)
    endpoint = sender.endpoint(receiver.url, "email.sent")

    sender.send(address("ok"))

    receiver.wait_for(1)
    attempt = sender.first_attempt(endpoint["id"])
    assert attempt["status_code"] == 302
    assert "not followed" in attempt["error"]
    another_receiver.stays_quiet(1.0)


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_told(
    sender: Sender, receiver: Receiver, smtp: SmtpServer, address: Callable[..., str]
) -> None:
    receiver.answers = [500]
    endpoint = sender.endpoint(receiver.url, "email.sent")
    sender.send(address("ok"))

    def disabled() -> dict[str, Any] | None:
        state = sender.api.get(f"/api/webhooks/{endpoint['id']}").json()
        return state if not state["enabled"] else None

    state = wait_for(disabled, "the endpoint disabled", timeout=DISABLE_AFTER + 15)
    assert state["disabled_reason"] == "failing" and state["failing_since"]
    assert [d["status"] for d in sender.deliveries(endpoint["id"])] == ["failed"]
    notice = wait_for(
        lambda: next(
            (
                m
                for m in smtp.messages
                if sender.email in m.recipients and "Webhook" in str(m.message["Subject"])
            ),
            None,
        ),
        "the notice to the endpoint's owner",
        timeout=15,
    )
    assert "Webhook endpoint disabled" in str(notice.message["Subject"])
    assert receiver.url in notice.message.get_content()
    receiver.answers = [200]
    requests_before = len(receiver.requests)
    sender.send(address("while-disabled"))
    receiver.stays_quiet(1.5)

    enabled = sender.api.patch(f"/api/webhooks/{endpoint['id']}", json={"enabled": True})
    sender.send(address("after"))

    assert enabled.json()["enabled"] is True and enabled.json()["failing_since"] is None
    [after] = receiver.wait_for(requests_before + 1)[requests_before:]
    assert after.event["data"]["recipient"].startswith("after-")


# --- where requests may go -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://private.hooks.test/hooks", f"resolves to {PRIVATE}, a private address"),
        ("http://127.0.0.1:9/hooks", "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data", "a link-local address"),
        ("http://[::ffff:10.0.0.1]/hooks", "a private address"),
    ],
)
def test_an_endpoint_on_the_platforms_own_network_is_refused(
    sender: Sender, dns: DnsServer, url: str, why: str
) -> None:
    dns.names["private.hooks.test"] = PRIVATE

    response = sender.api.post("/api/webhooks", json={"url": url, "events": ["email.sent"]})

    assert fields_of(response) == ["url"]
    assert why in error_of(response, 422)["fields"][0]["message"]


def test_a_name_rebound_to_a_private_address_after_registration_is_never_called(
    sender: Sender, dns: DnsServer, receiver: Receiver, host: str, address: Callable[..., str]
) -> None:
    dns.names["rebind.hooks.test"] = host
    endpoint = sender.endpoint(receiver.url_named("rebind.hooks.test"), "email.sent")
    dns.names["rebind.hooks.test"] = PRIVATE

    sender.send(address("ok"))

    attempt = sender.first_attempt(endpoint["id"])
    assert attempt["status_code"] is None
    assert f"resolves to {PRIVATE}, a private address" in attempt["error"]
    receiver.stays_quiet(0.5)
    dns.names["rebind.hooks.test"] = host  # back: the retry gets through, to the checked address
    [request] = receiver.wait_for(1)
    assert request.headers["host"] == f"rebind.hooks.test:{receiver.port}"


# --- the owner's tools ---------------------------------------------------------------------------


def test_an_event_can_be_sent_again_and_a_test_event_on_request(
    sender: Sender, receiver: Receiver, address: Callable[..., str]
) -> None:
    endpoint = sender.endpoint(receiver.url, "email.sent")
    sender.send(address("ok"))
    [first] = receiver.wait_for(1)

    resent = sender.api.post(
        f"/api/webhooks/{endpoint['id']}/resend", json={"event_id": first.event["id"]}
    )
    tested = sender.api.post(f"/api/webhooks/{endpoint['id']}/test")

    assert (resent.status_code, tested.status_code) == (202, 202)
    again = receiver.wait_for(1, where=lambda r: r is not first and r.event["type"] == "email.sent")
    assert again[0].headers["webhook-id"] == first.headers["webhook-id"]
    [test] = receiver.wait_for(1, where=of_type("webhook.test"))
    assert test.verified_by(endpoint["secret"])
    unknown = sender.api.post(
        f"/api/webhooks/{endpoint['id']}/resend", json={"event_id": str(uuid.uuid4())}
    )
    assert error_of(unknown, 404)["code"] == "webhook_event_not_found"


def test_after_a_rotation_requests_verify_with_the_old_secret_and_the_new(
    sender: Sender, receiver: Receiver
) -> None:
    endpoint = sender.endpoint(receiver.url, "email.sent")

    rotated = sender.api.post(f"/api/webhooks/{endpoint['id']}/rotate-secret").json()
    sender.api.post(f"/api/webhooks/{endpoint['id']}/test")

    [request] = receiver.wait_for(1)
    assert rotated["secret"] != endpoint["secret"]
    assert request.verified_by(endpoint["secret"]) and request.verified_by(rotated["secret"])
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    listed = sender.api.get(f"/api/webhooks/{endpoint['id']}").json()
    assert "secret" not in listed, "a secret is shown once"
