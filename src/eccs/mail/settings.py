"""email-service settings."""

from __future__ import annotations

from pydantic import Field

from eccs.platform.settings import Fragment

# The most recipients (to, cc and bcc together) any deployment may allow per email.
RECIPIENTS_CEILING = 1000


class MailSettings(Fragment):
    send_quota_per_hour: int = Field(default=1000, ge=1)
    max_recipients_per_email: int = Field(default=50, ge=1, le=RECIPIENTS_CEILING)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    # How far ahead `scheduled_at` may be.
    max_schedule_days: int = Field(default=30, ge=1, le=3650)
