"""auth-service refuses to start without what account emails and API keys need, and says what
to set."""

from __future__ import annotations

import pytest

from eccs.identity.keys import KeyHasher, new_key
from eccs.identity.settings import IdentitySettings
from eccs.platform.settings import ConfigError, load


@pytest.mark.parametrize("value", ["", "changeme", "too-short-to-be-a-real-secret"])
def test_an_api_key_secret_missing_or_weak_is_refused(value: str) -> None:
    settings = load(IdentitySettings, {"API_KEY_SECRET": value})
    with pytest.raises(ConfigError, match="API_KEY_SECRET") as refused:
        settings.api_key_hmac_key()
    assert "openssl rand" in str(refused.value)


@pytest.mark.parametrize("value", ["", "eccs.example.com", "ftp://eccs.example.com", "https://"])
def test_a_public_url_missing_or_not_http_is_refused(value: str) -> None:
    settings = load(IdentitySettings, {"ECCS_PUBLIC_URL": value})
    with pytest.raises(ConfigError, match="ECCS_PUBLIC_URL"):
        settings.public_url()


def test_the_public_url_loses_its_trailing_slash() -> None:
    settings = load(IdentitySettings, {"ECCS_PUBLIC_URL": " https://eccs.example.com/app/ "})
    assert settings.public_url() == "https://eccs.example.com/app"


def test_keys_are_long_random_recognisable_and_hashed_with_the_secret() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(key.startswith("eccs_") and len(key) == 48 for key in keys)
    key = keys.pop()
    one, other = KeyHasher(b"a" * 32), KeyHasher(b"b" * 32)
    assert one.digest(key) == one.digest(key) != other.digest(key)
    assert len(one.digest(key)) == 32
