"""The headers a sender may add to an email, and the one-click unsubscribe headers ECCS adds.

Only `X-*` and `List-*` names may be added (letters, digits and hyphens; a Reply-To has its own
field), each once whatever its letter case; values are header-safe text (no line breaks or
control characters: platform/addresses.py), so no header can be smuggled into another. With
`list_unsubscribe`, ECCS adds `List-Unsubscribe` with a link of its own and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058); the sender may not add those
two then. The link names a token that only that email has, so it needs exactly one recipient:
whoever uses it is the one unsubscribed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from eccs.platform.errors import InvalidInput

ADDABLE = re.compile(r"(?:X|List)-[A-Za-z0-9][A-Za-z0-9-]*", re.IGNORECASE)
UNSUBSCRIBE = "List-Unsubscribe"
ONE_CLICK = ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
UNSUBSCRIBE_PATH = "/api/unsubscribe/"


@dataclass(frozen=True)
class Headers:
    added: list[tuple[str, str]]
    unsubscribe_token: str | None = None


def headers_of(
    requested: Mapping[str, str],
    list_unsubscribe: bool,
    recipients: int,
    public_url: str | None,
) -> Headers:
    added = _addable(requested)
    if not list_unsubscribe:
        return Headers(added)
    if recipients != 1:
        raise InvalidInput.on(
            "list_unsubscribe",
            "needs exactly one recipient (to, cc and bcc together): the link unsubscribes"
            " whoever received the email; send one email per recipient (POST /api/emails/batch)",
        )
    for name, _ in added:
        if name.lower() in (UNSUBSCRIBE.lower(), ONE_CLICK[0].lower()):
            raise InvalidInput.on(f"headers.{name}", "is added by ECCS with list_unsubscribe")
    if public_url is None:
        raise InvalidInput.on(
            "list_unsubscribe",
            "this ECCS has no public address for unsubscribe links yet: its operator sets"
            " ECCS_PUBLIC_URL",
        )
    token = secrets.token_urlsafe(32)
    link = (UNSUBSCRIBE, f"<{public_url}{UNSUBSCRIBE_PATH}{token}>")
    return Headers([*added, link, ONE_CLICK], token)


def _addable(requested: Mapping[str, str]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    for name in requested:
        if not ADDABLE.fullmatch(name):
            raise InvalidInput.on(
                f"headers.{name}",
                "only X-* and List-* headers may be added, named with letters, digits and"
                " hyphens (a Reply-To has its own field: reply_to)",
            )
        if name.lower() in seen:
            raise InvalidInput.on(f"headers.{name}", "is given twice (names ignore letter case)")
        seen.add(name.lower())
    return list(requested.items())
