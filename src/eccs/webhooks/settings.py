"""Webhook settings, read by email-service (checking endpoints' addresses) and
notification-service (the dispatcher)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from eccs.platform.settings import Fragment, comma_list

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def nameserver(server: str) -> tuple[str, int]:
    """`1.1.1.1`, `127.0.0.1:5353`, `2606:4700::1111` or `[2606:4700::1111]:53` as an
    (address, port) pair; raises ValueError for anything else."""
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif server.count(":") == 1:
        host, _, port = server.partition(":")
    else:
        host, port = server, "53"
    ipaddress.ip_address(host)
    return host, int(port)


class WebhookSettings(Fragment):
    # One request's time limit, from connecting to the last byte of the answer's start.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Requests under way at once per process, and per endpoint (so a slow endpoint can hold
    # only its own share).
    webhook_concurrency: int = Field(default=32, ge=1, le=1024)
    webhook_endpoint_concurrency: int = Field(default=4, ge=1, le=64)
    # Retries: the first after a few seconds, doubling up to the cap, for the retry window.
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=86400.0, gt=0)
    # An endpoint every attempt to which has failed this long is disabled (its owner is told).
    webhook_disable_after_seconds: float = Field(default=86400.0, gt=0)
    # How often the dispatcher looks for deliveries other processes made due.
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_retention_days: int = Field(default=30, ge=1)
    webhook_max_endpoints: int = Field(default=20, ge=1, le=1000)
    # Networks receivers may be on although they are not public (on-premise receivers), CIDR.
    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # DNS servers (`host` or `host:port`, `[v6]:port`) that resolve receivers' names instead of
    # the system's resolver, e.g. public ones, so internal names never resolve at all.
    webhook_dns_servers: Annotated[list[str], NoDecode] = Field(default_factory=list)

    _split = field_validator("webhook_allowed_networks", "webhook_dns_servers", mode="before")(
        comma_list
    )

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                parsed = ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"{network!r} is not a network like 10.20.0.0/16") from exc
            if parsed.is_loopback:
                raise ValueError(
                    f"{network} is loopback: receivers on this machine are allowed only in"
                    " embedded mode (eccs up), where they cannot reach a service's neighbours"
                )
        return value

    @field_validator("webhook_dns_servers")
    @classmethod
    def _servers(cls, value: list[str]) -> list[str]:
        for server in value:
            try:
                nameserver(server)
            except ValueError as exc:
                raise ValueError(
                    f"{server!r} is not a DNS server's address like 1.1.1.1 or 10.0.0.2:53"
                ) from exc
        return value

    def networks(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.webhook_allowed_networks)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.webhook_retention_days)
