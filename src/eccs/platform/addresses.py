"""Email addresses and storable, header-safe text, as pydantic types shared by every API.

Addresses are checked for syntax only (no DNS), special-use test domains such as `.test` are
allowed, and the value is kept as the user typed it.
"""

from __future__ import annotations

from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints


def check_address(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from exc
    return value


def check_storable(value: str) -> str:
    """Refuse U+0000: PostgreSQL text and jsonb cannot hold it, so it would fail as a 500."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def check_header_safe(value: str) -> str:
    """Refuse line breaks in anything that ends up in a mail header (header injection)."""
    if "\r" in value or "\n" in value:
        raise ValueError("must not contain line breaks")
    return check_storable(value)


def check_storable_data(value: object) -> object:
    """Walk JSON-shaped data (template variables) and refuse NUL in any key or string in it."""
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
TemplateData = Annotated[dict[str, Any], AfterValidator(check_storable_data)]
