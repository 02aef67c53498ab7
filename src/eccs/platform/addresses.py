"""Email addresses and header-safe text, as pydantic types shared by every API.

Addresses are checked for syntax only (no DNS), special-use test domains such as `.test` are
allowed, and the value is kept as the user typed it.
"""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints


def check_address(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from exc
    return value


def check_header_safe(value: str) -> str:
    """Refuse line breaks in anything that ends up in a mail header (header injection)."""
    if "\r" in value or "\n" in value:
        raise ValueError("must not contain line breaks")
    return value


EmailAddress = Annotated[str, StringConstraints(max_length=320), AfterValidator(check_address)]
HeaderText = Annotated[str, AfterValidator(check_header_safe)]
