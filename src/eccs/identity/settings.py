"""auth-service settings."""

from __future__ import annotations

from pydantic import Field, SecretStr

from eccs.platform.settings import PLACEHOLDER_SECRETS, ConfigError, Fragment, http_base_url

MIN_SECRET_LENGTH = 32


class IdentitySettings(Fragment):
    jwt_private_key: SecretStr | None = None
    # The key of the HMAC that API keys are stored as; kept outside the database, so its rows
    # alone cannot be used to test guesses.
    api_key_secret: SecretStr | None = None
    # Where people open the web app: the links in account emails start with it.
    eccs_public_url: str | None = None
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    # At most a day: revocations are remembered for that long (platform/revocations.py).
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=30, le=24 * 3600)
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
    # Password-reset requests per client address, and account emails (links, notices) per
    # account, so that neither can be used to flood someone's inbox.
    password_resets_per_address: int = Field(default=10, ge=1)
    password_reset_window_seconds: int = Field(default=60 * 60, ge=1)
    account_emails_per_account: int = Field(default=5, ge=1)
    account_email_window_seconds: int = Field(default=60 * 60, ge=1)
    # How long the emailed links work.
    verification_link_hours: int = Field(default=24, ge=1)
    reset_link_minutes: int = Field(default=60, ge=5)

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

    def api_key_hmac_key(self) -> bytes:
        """The API keys' HMAC key; auth-service refuses to start without a real one."""
        value = self.api_key_secret.get_secret_value().strip() if self.api_key_secret else ""
        if value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"API_KEY_SECRET is missing, a placeholder or shorter than {MIN_SECRET_LENGTH} "
                "characters. Generate one with `openssl rand -base64 32` and pass it as "
                "API_KEY_SECRET or as a file path in API_KEY_SECRET_FILE. Changing it later "
                "invalidates every API key."
            )
        return value.encode()

    def public_url(self) -> str:
        """The web app's address, without a trailing slash; required (embedded mode sets it)."""
        url = http_base_url(self.eccs_public_url)
        if url is None:
            raise ConfigError(
                "ECCS_PUBLIC_URL is missing or not an http(s) address: set it to where people "
                "open the web app (for example https://eccs.example.com); the links in account "
                "emails start with it."
            )
        return url
