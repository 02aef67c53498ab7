"""The webhook rules that need no server: the retry schedule and when an endpoint is disabled,
which addresses may be called, what a receiver URL may look like, and the signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from eccs.platform.settings import ConfigError, load
from eccs.webhooks.destinations import AddressRules, url_problem
from eccs.webhooks.policy import WebhookPolicy
from eccs.webhooks.settings import WebhookSettings, nameserver
from eccs.webhooks.signing import new_secret, signed_headers

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
POLICY = WebhookPolicy.from_settings(WebhookSettings())


def test_retries_start_within_seconds_and_grow_to_hourly() -> None:
    rng = random.Random(7)
    waits = [(POLICY.next_attempt(attempt, NOW, NOW, rng) or NOW) - NOW for attempt in range(1, 16)]

    assert timedelta(seconds=2.5) <= waits[0] <= timedelta(seconds=5)
    assert timedelta(seconds=5) <= waits[1] <= timedelta(seconds=10)
    assert all(wait <= timedelta(hours=1) for wait in waits)
    assert waits[-1] >= timedelta(minutes=30), "the cap is an hour, drawn from its second half"
    steps = [POLICY.next_attempt(a, NOW, NOW, random.Random(0)) for a in (3, 4)]
    assert steps[0] and steps[1] and steps[0] < steps[1]


def test_a_delivery_is_given_up_once_its_next_attempt_would_be_past_a_day() -> None:
    created = NOW - timedelta(hours=23, minutes=59)

    assert POLICY.next_attempt(30, created, NOW, random.Random(1)) is None
    assert POLICY.next_attempt(1, created, NOW, random.Random(1)) is not None


def test_some_thirty_attempts_are_made_in_the_retry_window() -> None:
    rng, attempt, at = random.Random(3), 1, NOW
    while (next_at := POLICY.next_attempt(attempt, NOW, at, rng)) is not None:
        attempt, at = attempt + 1, next_at

    assert 20 <= attempt <= 50
    assert NOW + timedelta(hours=20) <= at <= NOW + timedelta(hours=24)


def test_an_endpoint_is_disabled_after_a_day_of_nothing_but_failures() -> None:
    assert POLICY.disables(NOW - timedelta(hours=24), NOW)
    assert not POLICY.disables(NOW - timedelta(hours=23), NOW)
    assert not POLICY.disables(None, NOW), "an endpoint that last succeeded is not failing"


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fd00::2", "a private address"),
        ("0.0.0.0", "not a unicast address"),  # noqa: S104 (refused, not bound)
        ("224.0.0.1", "not a unicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("192.0.2.10", "a private address"),
    ],
)
def test_only_public_addresses_may_be_called(address: str, refused: str | None) -> None:
    assert AddressRules().refusal(ipaddress.ip_address(address)) == refused


def test_allowed_networks_and_loopback_in_embedded_mode_are_called() -> None:
    rules = AddressRules((ipaddress.ip_network("10.20.0.0/16"),), loopback=True)

    assert rules.refusal(ipaddress.ip_address("10.20.3.4")) is None
    assert rules.refusal(ipaddress.ip_address("10.21.3.4")) == "a private address"
    assert rules.refusal(ipaddress.ip_address("127.0.0.1")) is None


def test_loopback_cannot_be_allowed_by_a_setting() -> None:
    with pytest.raises(ConfigError, match=r"WEBHOOK_ALLOWED_NETWORKS: .*embedded mode"):
        load(WebhookSettings, {"WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8, 127.0.0.0/8"})
    with pytest.raises(ConfigError, match=r"WEBHOOK_ALLOWED_NETWORKS: .*not a network"):
        load(WebhookSettings, {"WEBHOOK_ALLOWED_NETWORKS": "intranet"})
    allowed = load(WebhookSettings, {"WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8,192.168.7.9"})
    assert [str(n) for n in allowed.networks()] == ["10.0.0.0/8", "192.168.7.9/32"]


@pytest.mark.parametrize(
    ("server", "parsed"),
    [
        ("1.1.1.1", ("1.1.1.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("2606:4700::1111", ("2606:4700::1111", 53)),
        ("[2606:4700::1111]:5353", ("2606:4700::1111", 5353)),
    ],
)
def test_dns_servers_are_addresses_with_an_optional_port(
    server: str, parsed: tuple[str, int]
) -> None:
    assert nameserver(server) == parsed


def test_a_dns_server_given_by_name_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match=r"WEBHOOK_DNS_SERVERS: .*DNS server"):
        load(WebhookSettings, {"WEBHOOK_DNS_SERVERS": "dns.google"})


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.com/eccs?x=1", None),
        ("http://hooks.example.com:8080/", None),
        ("ftp://hooks.example.com/", "must start with https://"),
        ("https://user:pw@hooks.example.com/", "must not hold credentials"),
        ("https:///path", "must name a host"),
        ("https://hooks.example.com/#top", "must not have a #fragment"),
        ("https://hooks.example.com/a b", "without spaces"),
        ("https://hooks.example.com/\r\nX: y", "without spaces"),
        ("https://hooks.example.com:99999/", "is not a URL"),
        ("https://" + "a" * 2000 + ".com/", "at most 2000 characters"),
    ],
)
def test_receiver_urls(url: str, problem: str | None) -> None:
    found = url_problem(url)
    assert found == problem if problem is None else (found is not None and problem in found)


def test_a_request_is_signed_so_the_reference_library_and_a_plain_hmac_verify_it() -> None:
    secret = new_secret()
    body = b'{"id":"e1","type":"email.sent"}'

    headers = signed_headers("e1", body, [secret], datetime.now(UTC))

    assert Webhook(secret).verify(body, headers) == {"id": "e1", "type": "email.sent"}
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"e1.{headers['webhook-timestamp']}.".encode() + body
    digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{digest}"
    assert len(key) == 32 and secret != new_secret()


def test_during_a_rotation_both_secrets_sign() -> None:
    old, new = new_secret(), new_secret()
    body = b"{}"

    headers = signed_headers("e2", body, [new, old], datetime.now(UTC))

    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)


def test_an_old_request_replayed_is_refused_by_the_receiver() -> None:
    secret = new_secret()
    headers = signed_headers("e3", b"{}", [secret], datetime.now(UTC) - timedelta(minutes=10))

    with pytest.raises(Exception, match="too old"):
        Webhook(secret).verify(b"{}", headers)
