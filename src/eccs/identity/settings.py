"""auth-service settings."""

from __future__ import annotations

from pydantic import Field, SecretStr

from eccs.platform.settings import PLACEHOLDER_SECRETS, ConfigError, Fragment


class IdentitySettings(Fragment):
    jwt_private_key: SecretStr | None = None
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=30)
    refresh_token_ttl_days: int = Field(default=30, ge=1)
    refresh_reuse_grace_seconds: int = Field(default=10, ge=0)
    # Sign-in throttling (see identity/throttle.py for how the three rules work together).
    login_max_failures_per_account_and_address: int = Field(default=5, ge=1)
    login_account_and_address_window_seconds: int = Field(default=15 * 60, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_address_window_seconds: int = Field(default=60, ge=1)
    login_max_failures_per_account: int = Field(default=100, ge=1)
    login_account_window_seconds: int = Field(default=60 * 60, ge=1)
    # How long an address the account signed in from stays exempt from the per-account ceiling.
    login_known_address_days: int = Field(default=90, ge=1)
    registrations_per_address: int = Field(default=10, ge=1)
    registration_window_seconds: int = Field(default=60 * 60, ge=1)

    def private_key_pem(self) -> str:
        """The signing key; auth-service refuses to start without a real one."""
        value = self.jwt_private_key.get_secret_value().strip() if self.jwt_private_key else ""
        if value.lower() in PLACEHOLDER_SECRETS:
            raise ConfigError(
                "JWT_PRIVATE_KEY is missing or a placeholder. Generate one with "
                "`openssl genpkey -algorithm ed25519` and pass it as JWT_PRIVATE_KEY "
                "or as a file path in JWT_PRIVATE_KEY_FILE."
            )
        return value
