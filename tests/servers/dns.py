"""A real DNS server for tests (UDP, on 127.0.0.1), answering A and AAAA queries for the names a
test gives it and NXDOMAIN for the rest; a name's address can change at any time (a name that
resolves to a public address once and a private one later: DNS rebinding).

    with DnsServer() as dns:
        dns.names["hooks.example.test"] = "192.0.2.2"
        ... WEBHOOK_DNS_SERVERS=127.0.0.1:{dns.port} ...

Messages are read and written with dnspython, the wire format any resolver speaks.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

TTL = 0  # never cached: each lookup asks again, as rebinding needs


class DnsServer:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.queries: list[str] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stopped = False

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped = True
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopped:
            try:
                wire, client = self._socket.recvfrom(4096)
            except OSError:
                return
            try:
                answer = self._answer(dns.message.from_wire(wire))
            except dns.exception.DNSException:
                continue
            self._socket.sendto(answer.to_wire(), client)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.queries.append(name)
        address = self.names.get(name)
        if address is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        kind = "A" if ipaddress.ip_address(address).version == 4 else "AAAA"
        if dns.rdatatype.to_text(question.rdtype) == kind:
            response.answer.append(dns.rrset.from_text(question.name, TTL, "IN", kind, address))
        return response
