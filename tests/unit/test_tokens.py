"""Access-token signing and verification, and the refresh-token format, without a server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from eccs.identity.tokens import RefreshSecret, SigningKey, access_claims, generate_ed25519_pem
from eccs.platform.errors import NotAuthenticated
from eccs.platform.settings import ConfigError

USER_ID = uuid.uuid4()


def pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def rsa_pem(bits: int = 2048) -> str:
    return pem(rsa.generate_private_key(public_exponent=65537, key_size=bits))


def claims(now: datetime | None = None, ttl: timedelta = timedelta(minutes=15)) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    return access_claims(USER_ID, "alice@example.test", "Alice", "user", now, ttl)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return SigningKey(generate_ed25519_pem())


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey(rsa_pem())


# --- signing keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(("key_name", "algorithm"), [("ed_key", "EdDSA"), ("rsa_key", "RS256")])
def test_a_signed_token_verifies_to_its_user(
    key_name: str, algorithm: str, request: pytest.FixtureRequest
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    assert key.algorithm == algorithm
    principal = key.verify(key.sign(claims()))
    assert (principal.id, principal.email, principal.role, principal.name) == (
        USER_ID,
        "alice@example.test",
        "user",
        "Alice",
    )


def test_the_public_jwk_names_its_key_and_holds_no_private_part(
    ed_key: SigningKey, rsa_key: SigningKey
) -> None:
    assert ed_key.public_jwk["kty"] == "OKP"
    assert ed_key.public_jwk["alg"] == "EdDSA"
    assert rsa_key.public_jwk["kty"] == "RSA"
    assert rsa_key.public_jwk["alg"] == "RS256"
    for key in (ed_key, rsa_key):
        assert key.public_jwk["use"] == "sig"
        assert key.public_jwk["kid"] == key.kid
        assert not {"d", "p", "q", "dp", "dq", "qi"} & key.public_jwk.keys()


def test_the_key_id_is_stable_for_one_key_and_differs_between_keys() -> None:
    text = generate_ed25519_pem()
    assert SigningKey(text).kid == SigningKey(text).kid
    assert SigningKey(text).kid != SigningKey(generate_ed25519_pem()).kid


def test_a_token_from_another_key_is_refused(ed_key: SigningKey) -> None:
    with pytest.raises(NotAuthenticated):
        ed_key.verify(SigningKey(generate_ed25519_pem()).sign(claims()))


def test_a_token_signed_by_the_rsa_key_is_refused_by_the_ed25519_key(
    ed_key: SigningKey, rsa_key: SigningKey
) -> None:
    with pytest.raises(NotAuthenticated):
        ed_key.verify(rsa_key.sign(claims()))


def test_an_expired_token_is_refused(ed_key: SigningKey) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(NotAuthenticated):
        ed_key.verify(ed_key.sign(claims(an_hour_ago)))


@pytest.mark.parametrize("claim", ["aud", "iss"])
def test_a_token_for_another_audience_or_issuer_is_refused(ed_key: SigningKey, claim: str) -> None:
    with pytest.raises(NotAuthenticated):
        ed_key.verify(ed_key.sign({**claims(), claim: "someone-else"}))


@pytest.mark.parametrize("claim", ["exp", "sub", "email", "role"])
def test_a_token_missing_a_needed_claim_is_refused(ed_key: SigningKey, claim: str) -> None:
    incomplete = {k: v for k, v in claims().items() if k != claim}
    with pytest.raises(NotAuthenticated):
        ed_key.verify(ed_key.sign(incomplete))


def test_a_token_with_a_changed_payload_is_refused(ed_key: SigningKey) -> None:
    header, _, signature = ed_key.sign(claims()).split(".")
    forged = b64(json.dumps({**claims(), "role": "admin"}).encode())
    with pytest.raises(NotAuthenticated):
        ed_key.verify(f"{header}.{forged}.{signature}")


def test_an_alg_none_token_is_refused(ed_key: SigningKey) -> None:
    token = unsigned({"alg": "none", "typ": "JWT", "kid": ed_key.kid}, claims()) + "."
    with pytest.raises(NotAuthenticated):
        ed_key.verify(token)


@pytest.mark.parametrize("key_name", ["ed_key", "rsa_key"])
def test_an_hs256_token_keyed_with_the_public_key_is_refused(
    key_name: str, request: pytest.FixtureRequest
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    public_pem = key.key_set[key.kid].key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims())
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(NotAuthenticated):
        key.verify(f"{signing_input}.{b64(mac)}")


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "e30.e30.", "W10.e30.sig"])
def test_malformed_tokens_are_refused(ed_key: SigningKey, token: str) -> None:
    with pytest.raises(NotAuthenticated):
        ed_key.verify(token)


def test_an_rsa_key_under_2048_bits_is_refused() -> None:
    with pytest.raises(ConfigError, match="2048"):
        SigningKey(rsa_pem(1024))


def test_an_elliptic_curve_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="Ed25519"):
        SigningKey(pem(ec.generate_private_key(ec.SECP256R1())))


@pytest.mark.parametrize("text", ["", "changeme", "-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_text_that_is_not_a_pem_private_key_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="JWT_PRIVATE_KEY"):
        SigningKey(text)


# --- refresh tokens -----------------------------------------------------------------------------


def test_a_refresh_token_parses_back_to_itself() -> None:
    secret = RefreshSecret.new()
    text = str(secret)
    assert text.startswith(f"{secret.id}.")
    assert "=" not in text
    assert RefreshSecret.parse(text) == secret


def test_each_refresh_token_is_new() -> None:
    assert RefreshSecret.new() != RefreshSecret.new()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-dot-here",
        f"{uuid.uuid4()}",
        f"{uuid.uuid4()}.",
        f"not-a-uuid.{b64(bytes(32))}",
        f"{uuid.uuid4()}.{b64(bytes(31))}",  # a secret of the wrong size
        f"{uuid.uuid4()}.{b64(bytes(33))}",
        f"{uuid.uuid4()}.{b64(bytes(32))[:-1]}",  # truncated
        f"{uuid.uuid4()}.ünïcode",
    ],
    ids=[
        "empty",
        "no dot",
        "id alone",
        "no secret",
        "not an id",
        "31 bytes",
        "33 bytes",
        "truncated",
        "not base64",
    ],
)
def test_a_malformed_refresh_token_parses_to_none(text: str) -> None:
    assert RefreshSecret.parse(text) is None


def test_only_the_same_secret_matches_the_stored_digest() -> None:
    secret = RefreshSecret.new()
    assert secret.digest == hashlib.sha256(secret.secret).digest()
    assert secret.matches(secret.digest)
    assert not RefreshSecret(secret.id, bytes(32)).matches(secret.digest)


def test_a_sealed_successor_opens_with_the_same_secret() -> None:
    secret = RefreshSecret.new()
    pair = {"access_token": "a", "refresh_token": "b", "expires_in": 900}
    sealed = secret.seal(pair)
    assert b"access_token" not in sealed
    assert RefreshSecret.parse(str(secret)).open(sealed) == pair  # type: ignore[union-attr]


def test_sealing_twice_gives_different_ciphertexts() -> None:
    secret = RefreshSecret.new()
    assert secret.seal({"a": 1}) != secret.seal({"a": 1})


def test_a_sealed_successor_does_not_open_with_another_secret() -> None:
    sealed = RefreshSecret.new().seal({"access_token": "a"})
    with pytest.raises(InvalidTag):
        RefreshSecret.new().open(sealed)


def test_a_tampered_seal_does_not_open() -> None:
    secret = RefreshSecret.new()
    sealed = bytearray(secret.seal({"access_token": "a"}))
    sealed[-1] ^= 1
    with pytest.raises(InvalidTag):
        secret.open(bytes(sealed))
