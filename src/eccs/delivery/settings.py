"""SMTP relay settings of notification-service (variable names from ARCHITECTURE.md)."""

from __future__ import annotations

import email.errors
from email.headerregistry import Address
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from eccs.platform.settings import PLACEHOLDER_SECRETS, ConfigError, Fragment


class SmtpSettings(Fragment):
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_pass: SecretStr | None = None
    # The From address of every email (and the envelope sender); senders appear as display name.
    smtp_from: str = "no-reply@localhost"
    # auto: upgrade with STARTTLS whenever the relay offers it.
    smtp_starttls: Literal["true", "false", "auto"] = "auto"
    # Off only for a relay with a self-signed certificate on a network you trust (and in tests).
    smtp_tls_verify: bool = True
    # Bounds one whole send (connect, commands, message), not just each command.
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_pool_size: int = Field(default=8, ge=1, le=256)

    @field_validator("smtp_user", mode="before")
    @classmethod
    def _blank_user_is_none(cls, value: object) -> object:
        # `SMTP_USER=` in an env file means "no authentication", not a user named "".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_starttls", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("smtp_from")
    @classmethod
    def _plain_address(cls, value: str) -> str:
        """One bare address (user@domain), since it is both the envelope sender and From."""
        value = value.strip()
        plain = "SMTP_FROM must be one plain address like no-reply@example.com"
        if "<" in value:  # `Name <address>`: the sender's own name is the display name
            raise ValueError(f"{plain}, without a name: each email shows its sender's name")
        try:
            address = Address(addr_spec=value)
        except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
            raise ValueError(f"{plain}: {exc}") from exc
        if not address.domain:
            raise ValueError(plain)
        return value

    def require_secrets(self) -> None:
        """Refuse to start with authentication configured but no real password."""
        if self.smtp_user is None:
            return
        password = self.smtp_pass.get_secret_value().strip() if self.smtp_pass else ""
        if password.lower() in PLACEHOLDER_SECRETS:
            raise ConfigError(
                "SMTP_PASS is missing or a placeholder while SMTP_USER is set. Set SMTP_PASS "
                "(or SMTP_PASS_FILE, a file holding it) to the relay's password, or unset "
                "SMTP_USER if the relay needs no authentication."
            )
