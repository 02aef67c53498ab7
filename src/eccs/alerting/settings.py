"""The alert relay's settings: where ECCS's API is, the account it sends as, and to whom."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from eccs.platform.settings import PLACEHOLDER_SECRETS, ConfigError, Fragment, comma_list


class AlertRelaySettings(Fragment):
    # email-service (sending) and auth-service (signing in), reached directly on `backend`.
    eccs_api_url: str = "http://127.0.0.1:8002"
    auth_service_url: str = "http://127.0.0.1:8001"
    # What Alertmanager presents as its bearer token (credentials_file in its webhook config).
    alert_relay_token: SecretStr | None = None
    alert_account_email: str = "alerts@example.com"
    alert_account_password: SecretStr | None = None
    alert_recipients: Annotated[list[str], NoDecode] = Field(default_factory=list)

    _split = field_validator("alert_recipients", mode="before")(comma_list)

    def require_secrets(self) -> None:
        for name in ("alert_relay_token", "alert_account_password"):
            value: SecretStr | None = getattr(self, name)
            if value is None or value.get_secret_value() in PLACEHOLDER_SECRETS:
                raise ConfigError(f"{name.upper()} (or {name.upper()}_FILE) must be set")
        if not self.alert_recipients:
            raise ConfigError("ALERT_RECIPIENTS must name at least one address")
