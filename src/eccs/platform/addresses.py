"""Email addresses and storable, header-safe text, as pydantic types shared by every API.

Addresses are checked for syntax only (no DNS), special-use test domains such as `.test` are
allowed, and the value is kept as the user typed it; `ascii_address` gives the form that goes on
the wire (the domain in IDNA).

Two rules keep bad text out before anything is stored:
- storable: PostgreSQL text cannot hold U+0000, and a lone surrogate (U+D800-U+DFFF alone) is not
  Unicode at all and cannot be encoded; either would fail as a 500 deep inside a request.
- header-safe: a value that ends up in a mail header (subject, display name, filename) holds no
  line break of any kind (everything `str.splitlines()` splits on, U+2028 included) and no other
  control character. The email library refuses such headers when the message is built, long
  after the API said 202, so the API refuses them first.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints

# Category Cc (C0, DEL, C1; this covers \n \r \v \f \x1c-\x1e \x85) plus the two Unicode
# separators that are line breaks without being control characters.
_NOT_IN_HEADERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")


def check_address(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from exc
    return value


def ascii_address(address: str) -> str:
    """The address as sent: the domain in its ASCII (IDNA) form, the local part unchanged.

    A non-ASCII local part stays as it is and needs a relay that offers SMTPUTF8.
    """
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    checked = validate_email(address, check_deliverability=False, test_environment=True)
    return f"{local}@{checked.ascii_domain}"


def check_storable(value: str) -> str:
    if (found := _NOT_STORABLE.search(value)) is not None:
        what = "NUL characters" if found.group() == "\x00" else "lone surrogates (invalid Unicode)"
        raise ValueError(f"must not contain {what}")
    return value


def check_header_safe(value: str) -> str:
    """Refuse line breaks and control characters in anything that ends up in a mail header."""
    if (found := _NOT_IN_HEADERS.search(value)) is not None:
        kind = "line breaks" if found.group() in _LINE_BREAKS else "control characters"
        raise ValueError(f"must not contain {kind} (found U+{ord(found.group()):04X})")
    return check_storable(value)


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def check_storable_data(value: object) -> object:
    """Walk JSON-shaped data (template variables) and refuse unstorable text in any key or
    string in it."""
    if isinstance(value, str):
        check_storable(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_storable(str(key))
            check_storable_data(item)
    elif isinstance(value, list):
        for item in value:
            check_storable_data(item)
    return value


EmailAddress = Annotated[str, StringConstraints(max_length=320), AfterValidator(check_address)]
HeaderText = Annotated[str, AfterValidator(check_header_safe)]
Text = Annotated[str, AfterValidator(check_storable)]
"""Free text such as a body: any characters PostgreSQL can store, line breaks included."""
SearchText = Annotated[str, AfterValidator(check_storable)]
"""A search term from a query string (`?q=`): `%00` must be a 422, not a database error."""
TemplateData = Annotated[dict[str, Any], AfterValidator(check_storable_data)]
