"""Signing access tokens, publishing their public keys, and the format of the tokens handed out
once: refresh tokens and the tokens of emailed links.

Such a token is `<id>.<secret>`: the id finds the row, only a SHA-256 of the secret is stored,
and the presented secret's hash is compared with it in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eccs.platform.security import AUDIENCE, ISSUER, Principal, decode_with
from eccs.platform.security import generate_ed25519_pem as generate_ed25519_pem
from eccs.platform.settings import ConfigError


class SigningKey:
    """auth-service's private key, its algorithm, and the public JWK that others verify with."""

    def __init__(self, pem: str) -> None:
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"JWT_PRIVATE_KEY is not a readable PEM private key: {exc}") from exc
        if isinstance(key, ed25519.Ed25519PrivateKey):
            self.algorithm = "EdDSA"
        elif isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
            self.algorithm = "RS256"
        else:
            raise ConfigError("JWT_PRIVATE_KEY must be an Ed25519 key or an RSA key of 2048+ bits.")
        self._key = key
        public = jwt.get_algorithm_by_name(self.algorithm).to_jwk(key.public_key(), as_dict=True)
        self.kid = _thumbprint(public)
        self.public_jwk = {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}
        self.key_set = jwt.PyJWKSet.from_dict({"keys": [self.public_jwk]})

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm=self.algorithm, headers={"kid": self.kid})

    def verify(self, token: str) -> Principal:
        return decode_with(self.key_set, token)


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 key id: a hash of the key's required members in canonical JSON."""
    required = {"OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def access_claims(
    user_id: uuid.UUID, email: str, name: str, role: str, now: datetime, ttl: timedelta
) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "email": email,
        "name": name,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": secrets.token_hex(8),
    }


@dataclass(frozen=True)
class Secret:
    id: uuid.UUID
    secret: bytes

    def __str__(self) -> str:
        return f"{self.id}.{base64.urlsafe_b64encode(self.secret).rstrip(b'=').decode()}"

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.secret).digest()

    def matches(self, stored_digest: bytes) -> bool:
        return hmac.compare_digest(self.digest, stored_digest)

    @classmethod
    def new(cls) -> Self:
        return cls(uuid.uuid4(), secrets.token_bytes(32))

    @classmethod
    def parse(cls, token: str) -> Self | None:
        head, _, tail = token.partition(".")
        try:
            secret = base64.urlsafe_b64decode(tail + "=" * (-len(tail) % 4))
            return cls(uuid.UUID(head), secret) if len(secret) == 32 else None
        except ValueError:
            return None


class RefreshSecret(Secret):
    """A refresh token; it also seals the pair it was exchanged for (two tabs, one rotation)."""

    # The successor pair is sealed with a key derived from this secret, so the database alone
    # cannot reveal it; only a client holding this very token can open it again.
    def seal(self, payload: dict[str, Any]) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(self._box_key()).encrypt(nonce, json.dumps(payload).encode(), None)

    def open(self, sealed: bytes) -> dict[str, Any]:
        plain = AESGCM(self._box_key()).decrypt(sealed[:12], sealed[12:], None)
        result: dict[str, Any] = json.loads(plain)
        return result

    def _box_key(self) -> bytes:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"eccs refresh successor")
        return kdf.derive(self.secret)
