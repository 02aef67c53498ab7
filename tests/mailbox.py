"""The emails ECCS sends about accounts, read the way tests and benchmarks can: the link in one
(its token), and where the services keep them before delivery (the emails table)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from eccs.contracts.account_mail import ACCOUNT_MAIL_SENDER

# The text of the newest account email to an address ($1: ACCOUNT_MAIL_SENDER, $2: the address).
LATEST_ACCOUNT_MAIL = (
    "SELECT text_body FROM emails WHERE user_id = $1 AND $2 = ANY(to_addresses)"
    " ORDER BY created_at DESC LIMIT 1"
)
SENDER = ACCOUNT_MAIL_SENDER


def link_token(text: str, page: str) -> str:
    """The token of the link to one of the web app's pages (/verify-email, /reset-password)."""
    found = re.search(rf"https?://\S+{re.escape(page)}\?token=(\S+)", text)
    assert found, f"no {page} link in:\n{text}"
    return unquote(found[1])
