"""Where the audit trail is kept and for how long."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, field_validator

from eccs.platform.settings import Fragment


class AuditSettings(Fragment):
    # The URL may carry a password, hence secret (MONGODB_URL_FILE works too). Unset: PostgreSQL.
    mongodb_url: SecretStr | None = None
    audit_retention_days: int = Field(default=90, ge=1)

    @field_validator("mongodb_url", mode="before")
    @classmethod
    def _blank_means_unset(cls, value: object) -> object:
        # Compose files and Helm values often pass `MONGODB_URL=` to mean "no MongoDB".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.audit_retention_days)
