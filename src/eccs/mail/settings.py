"""email-service settings."""

from __future__ import annotations

from pydantic import Field, field_validator

from eccs.platform.settings import Fragment, http_base_url

# The most recipients (to, cc and bcc together) any deployment may allow per email.
RECIPIENTS_CEILING = 1000


class MailSettings(Fragment):
    send_quota_per_hour: int = Field(default=1000, ge=1)
    max_recipients_per_email: int = Field(default=50, ge=1, le=RECIPIENTS_CEILING)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    # How far ahead `scheduled_at` may be.
    max_schedule_days: int = Field(default=30, ge=1, le=3650)
    # Where recipients reach ECCS (the gateway): the one-click unsubscribe links point there.
    eccs_public_url: str | None = None

    @field_validator("eccs_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # then emails cannot have one-click unsubscribe links (422 says so)
        if (url := http_base_url(value)) is None:
            raise ValueError(f"{value!r} is not an address like https://mail.example.com")
        return url
