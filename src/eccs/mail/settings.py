"""email-service settings."""

from __future__ import annotations

from pydantic import Field

from eccs.platform.settings import Fragment


class MailSettings(Fragment):
    send_quota_per_hour: int = Field(default=1000, ge=1)
    max_recipients_per_email: int = Field(default=50, ge=1)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
