"""Which Host headers embedded mode's front answers for (its DNS-rebinding defence)."""

from __future__ import annotations

import socket

import pytest

from eccs.embedded.hosts import AllowedHosts, host_name


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost", "localhost"),
        ("LocalHost:8080", "localhost"),
        ("127.0.0.1:8080", "127.0.0.1"),
        ("[::1]:8080", "::1"),
        ("[::1]", "::1"),
        ("eccs.example.test.:80", "eccs.example.test"),
    ],
)
def test_the_name_is_read_without_port_case_or_final_dot(header: str, name: str) -> None:
    assert host_name(header) == name


def test_on_loopback_only_the_loopback_names_and_the_configured_ones_are_answered() -> None:
    hosts = AllowedHosts.listening_on("127.0.0.1", ["ECCS.example.test", "[fd00::5]"])
    for header in ("localhost:8080", "127.0.0.1:8080", "[::1]:8080", "eccs.example.test:8080",
                   "[fd00::5]:8080", None):  # fmt: skip
        assert hosts.allows(header), header
    for header in ("rebound.example:8080", "192.168.1.20:8080", "localhost.example", ""):
        assert not hosts.allows(header), header


def test_beyond_loopback_any_address_and_this_machines_names_are_answered_too() -> None:
    hosts = AllowedHosts.listening_on("0.0.0.0")  # noqa: S104
    for header in ("192.168.1.20:8080", "[fe80::1]:8080", socket.gethostname(), "localhost"):
        assert hosts.allows(header), header
    assert not hosts.allows("rebound.example:8080")
    assert "any IP address" in hosts.shown()


def test_a_name_given_to_listen_on_is_answered() -> None:
    hosts = AllowedHosts.listening_on("eccs.lan")
    assert hosts.allows("eccs.lan:8080")
    assert not hosts.allows("rebound.example")
