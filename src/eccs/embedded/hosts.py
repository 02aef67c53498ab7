"""The host names embedded mode answers for: a defence against DNS rebinding.

The mail catcher at /api/dev needs no sign-in. A web page anywhere could otherwise point a name of
its own at 127.0.0.1 and read the caught mail from the visitor's browser, which sends that name in
the Host header. So the front answers only for localhost, 127.0.0.1, [::1] and the names listed
in ECCS_ALLOWED_HOSTS; listening beyond loopback (`--host 0.0.0.0`), it also answers for this
machine's own names and for any IP address, as a Host that is an address is never rebound.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class AllowedHosts:
    names: frozenset[str]
    addresses: bool  # any IP address as the Host

    @classmethod
    def listening_on(cls, host: str, extra: Iterable[str] = ()) -> AllowedHosts:
        names = {*LOOPBACK_NAMES, *(_normal(name) for name in extra)}
        if is_loopback(host):
            return cls(frozenset(names), addresses=False)
        mine = {socket.gethostname(), socket.getfqdn()}
        if not is_wildcard(host):
            mine.add(host)
        return cls(frozenset(names | {_normal(name) for name in mine}), addresses=True)

    def allows(self, host_header: str | None) -> bool:
        if host_header is None:
            return True  # HTTP/1.0 without Host: never a browser, so never a rebound page
        name = host_name(host_header)
        return name in self.names or (self.addresses and _is_address(name))

    def shown(self) -> str:
        """The names, as a person would type them in a URL."""
        listed = sorted(f"[{name}]" if ":" in name else name for name in self.names)
        return ", ".join(listed) + (" and any IP address" if self.addresses else "")


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port: `[::1]:8080` is `::1`."""
    value = host_header.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return _normal(value)


def is_loopback(host: str) -> bool:
    if _normal(host) == "localhost":
        return True
    try:
        return ipaddress.ip_address(_normal(host)).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return _normal(host) in ("", "0.0.0.0", "::")  # noqa: S104


def _normal(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
