"""Where webhook requests may go: never into the platform's own network.

A receiver's name is resolved here, every address it resolves to is checked, and the connection
is made to one of exactly those addresses: the request never resolves the name again, so a name
that answers a public address to the check and a private one to the connection (DNS rebinding)
gets nowhere. Redirects are not followed and no proxy from the environment is used.

An address is allowed when it is public (`ipaddress`'s `is_global`, not multicast), or in
`WEBHOOK_ALLOWED_NETWORKS` (on-premise receivers), or on loopback in embedded mode (so the tour
works on one machine). A name with any address that is not allowed is refused as a whole.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver
import httpcore
import httpx

from eccs.webhooks.settings import Network, WebhookSettings, nameserver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_SECONDS = 5.0
MAX_URL_LENGTH = 2000


class DestinationRefused(Exception):
    """The receiver's address is not one ECCS may call; the message says which and why."""


class Unresolvable(Exception):
    """The receiver's name has no address."""


# --- which addresses --------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressRules:
    allowed_networks: tuple[Network, ...] = ()
    loopback: bool = False  # embedded mode only

    def refusal(self, address: Address) -> str | None:
        """Why `address` may not be called, or None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return self.refusal(address.ipv4_mapped)
        if any(address in network for network in self.allowed_networks):
            return None
        if address.is_loopback:
            return None if self.loopback else "a loopback address"
        if address.is_multicast or address.is_unspecified:
            return "not a unicast address"
        if address.is_link_local:
            return "a link-local address"
        if address.is_private:
            return "a private address"
        return None if address.is_global else "not a public address"


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[Address]: ...


class SystemResolver:
    """The operating system's resolver (hosts file, DNS, as configured)."""

    async def resolve(self, host: str, port: int) -> list[Address]:
        loop = asyncio.get_running_loop()
        try:
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise Unresolvable(f"{host} does not resolve: {exc.strerror}") from exc
        return _unique(ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in found)


class DnsResolver:
    """Named DNS servers (`WEBHOOK_DNS_SERVERS`), asked for A and AAAA records."""

    def __init__(self, servers: list[str]) -> None:
        self._resolver = dns.asyncresolver.Resolver(configure=False)
        self._resolver.nameservers = [
            dns.nameserver.Do53Nameserver(*nameserver(server)) for server in servers
        ]
        self._resolver.lifetime = RESOLVE_SECONDS

    async def resolve(self, host: str, port: int) -> list[Address]:
        answers = await asyncio.gather(
            self._records(host, "A"), self._records(host, "AAAA"), return_exceptions=True
        )
        found = [address for answer in answers if isinstance(answer, list) for address in answer]
        if found:
            return _unique(found)
        failure = next((a for a in answers if isinstance(a, BaseException)), None)
        raise Unresolvable(f"{host} does not resolve{f': {failure}' if failure else ''}")

    async def _records(self, host: str, kind: str) -> list[Address]:
        try:
            answer = await self._resolver.resolve(host, kind, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise Unresolvable(str(exc)) from exc
        return [ipaddress.ip_address(record.address) for record in answer]


def _unique(addresses: Iterable[Address]) -> list[Address]:
    return list(dict.fromkeys(addresses))


class Destinations:
    """Resolves receivers' names and keeps only addresses the rules allow."""

    def __init__(self, rules: AddressRules, resolver: Resolver) -> None:
        self.rules = rules
        self.resolver = resolver

    @classmethod
    def from_settings(cls, settings: WebhookSettings, *, loopback: bool = False) -> Destinations:
        resolver: Resolver = (
            DnsResolver(settings.webhook_dns_servers)
            if settings.webhook_dns_servers
            else SystemResolver()
        )
        return cls(AddressRules(settings.networks(), loopback), resolver)

    async def addresses(self, host: str, port: int) -> list[Address]:
        """The addresses to connect to for `host`; raises DestinationRefused when any of them
        may not be called, Unresolvable when it has none."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            async with asyncio.timeout(RESOLVE_SECONDS):
                found = await self.resolver.resolve(host, port)
        else:
            if (why := self.rules.refusal(literal)) is not None:
                raise DestinationRefused(f"{host} is {why}")
            return [literal]
        for address in found:
            if (why := self.rules.refusal(address)) is not None:
                raise DestinationRefused(f"{host} resolves to {address}, {why}")
        return found

    async def check_url(self, url: str) -> None:
        """For the API: refuse a URL whose host is (or resolves to) an address that may not be
        called. A name that does not resolve yet is accepted: it is checked on every request."""
        parts = urlsplit(url)
        assert parts.hostname is not None
        try:
            await self.addresses(parts.hostname, parts.port or _default_port(parts.scheme))
        except (Unresolvable, TimeoutError):
            return


def url_problem(url: str) -> str | None:
    """What is wrong with a receiver's URL as written, or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"at most {MAX_URL_LENGTH} characters"
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        return "must be ASCII without spaces (percent-encode the rest, and use the IDNA name)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http://)"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not hold credentials: requests are signed instead"
    if parts.fragment:
        return "must not have a #fragment"
    if port == 0:
        return "must not use port 0"
    return None


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


# --- connecting only where allowed --------------------------------------------------------------


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to the addresses `Destinations` allowed for
    the name, in their order; TLS still verifies the certificate against the name."""

    def __init__(self, destinations: Destinations) -> None:
        self.destinations = destinations
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.destinations.addresses(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused("a unix socket is not a webhook receiver")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_client(destinations: Destinations, settings: WebhookSettings) -> httpx.AsyncClient:
    """An HTTP client whose every connection goes through `GuardedBackend`: no redirects, no
    proxy or certificate settings from the environment, certificates verified."""
    limits = httpx.Limits(
        max_connections=settings.webhook_concurrency,
        max_keepalive_connections=settings.webhook_concurrency,
        keepalive_expiry=30,
    )
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
    # httpx takes no network backend of its own; its connection pool, made as httpx makes it,
    # is replaced by one with ours (tests call a name resolving to a refused address through
    # this client, so a change in httpx cannot pass unnoticed).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl.create_default_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(destinations),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )
