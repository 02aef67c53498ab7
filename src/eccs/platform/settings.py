"""Settings, built once in a composition root from small fragments.

Each fragment reads only the environment variables it owns (names fixed in ARCHITECTURE.md).
Any secret may also come from a file named by `NAME_FILE`, the way container secrets are mounted.
Nothing here runs at import time: a service calls `load(SomeFragment)` when it starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values people paste from examples; a service refuses to start with any of them as a secret.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "changethis", "secret", "password", "your-secret-key", "xxx"}
)


class ConfigError(Exception):
    """The configuration cannot work; the message says which variable and what to do."""


def _read_secret_file(variable: str, path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(
            f"{variable}_FILE points to {path!r}, which cannot be read: {exc}"
        ) from exc


class Fragment(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, case_sensitive=False)


F = TypeVar("F", bound=Fragment)


def load(fragment: type[F], environ: Mapping[str, str] | None = None) -> F:
    """Build one settings fragment from the environment (or the mapping given, for tests)."""
    source = os.environ if environ is None else environ
    names = {name.lower(): value for name, value in source.items()}
    values: dict[str, Any] = {}
    for field in fragment.model_fields:
        if field in names:
            values[field] = names[field]
        elif f"{field}_file" in names:  # a mounted secret: NAME_FILE holds a path
            values[field] = _read_secret_file(field.upper(), names[f"{field}_file"])
    try:
        return fragment.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_problems(exc)) from None


def _problems(error: ValidationError) -> str:
    """One line naming each variable and what is wrong with it (never its value: it may be a
    secret)."""
    return "; ".join(
        _problem(".".join(str(part) for part in problem["loc"]).upper(), problem["msg"])
        for problem in error.errors(include_url=False, include_input=False)
    )


def _problem(variable: str, message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message if message.startswith(variable) else f"{variable}: {message}"


def http_base_url(value: str | None) -> str | None:
    """An http(s) address without its trailing slash (what ECCS_PUBLIC_URL holds: where people
    reach ECCS), or None when `value` is not one."""
    url = (value or "").strip().rstrip("/")
    parsed = urlsplit(url)
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def comma_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class DatabaseSettings(Fragment):
    database_url: str | None = None
    postgres_host: str = "localhost"
    postgres_port: int = 5432
    postgres_user: str = "eccs"
    postgres_password: SecretStr | None = None
    postgres_db: str = "eccs"
    database_pool_size: int = Field(default=10, ge=1)

    def libpq_url(self) -> str:
        """The database as a libpq URL, from DATABASE_URL or the POSTGRES_* variables."""
        if self.database_url:
            return self.database_url
        password = self.postgres_password.get_secret_value() if self.postgres_password else ""
        auth = quote(self.postgres_user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        return f"postgresql://{auth}@{self.postgres_host}:{self.postgres_port}/{self.postgres_db}"

    def sqlalchemy_url(self) -> str:
        url = self.libpq_url()
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        raise ConfigError(
            "DATABASE_URL must start with postgresql:// (for example "
            "postgresql://eccs:secret@localhost:5432/eccs)"
        )


class HttpSettings(Fragment):
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_request_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    _split = field_validator("trusted_proxies", mode="before")(comma_list)


class LogSettings(Fragment):
    log_format: Literal["json", "console"] = "json"
    log_level: str = "info"


class TokenVerifierSettings(Fragment):
    auth_service_url: str = "http://127.0.0.1:8001"
