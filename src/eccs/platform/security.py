"""Access-token verification, shared by every service.

Tokens are signed by auth-service with an asymmetric key; everyone else holds only the public
half, fetched from `/api/auth/jwks` on first use and cached. Only the algorithm of the key that
matches the token's `kid` is accepted, which rules out `alg: none` and HS256-with-the-public-key.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from eccs.platform.errors import AppError, NotAuthenticated

ISSUER = "eccs-auth"
AUDIENCE = "eccs"
# A token whose kid we do not know triggers a JWKS refetch at most this often (key rotation).
JWKS_REFRESH_SECONDS = 30.0


class AuthUnavailable(AppError):
    status_code = 503
    code = "auth_unavailable"
    default_message = "Tokens cannot be checked right now; try again shortly."


@dataclass(frozen=True)
class Principal:
    id: UUID
    email: str
    role: str
    name: str = ""
    # When the token that vouched for this principal expires (epoch seconds).
    expires_at: float = field(default=0.0, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal: ...


def decode_with(keys: jwt.PyJWKSet, token: str) -> Principal:
    """Check the signature and claims of an access token against a key set."""
    try:
        key = keys[str(jwt.get_unverified_header(token).get("kid"))]
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=[key.algorithm_name],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        return Principal(
            id=UUID(claims["sub"]),
            email=claims["email"],
            role=claims["role"],
            name=claims.get("name", ""),
            expires_at=float(claims["exp"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise NotAuthenticated("The access token is invalid or expired.") from exc


class JwksVerifier:
    """Verifies tokens with the public keys published by auth-service."""

    def __init__(self, auth_service_url: str, client: httpx.AsyncClient | None = None) -> None:
        self._url = auth_service_url.rstrip("/") + "/api/auth/jwks"
        self._client = client or httpx.AsyncClient(timeout=5.0)
        self._keys: jwt.PyJWKSet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> Principal:
        keys = await self._key_set(self._kid_of(token))
        return decode_with(keys, token)

    @staticmethod
    def _kid_of(token: str) -> str | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("The access token is malformed.") from exc
        return kid if isinstance(kid, str) else None

    async def _key_set(self, kid: str | None) -> jwt.PyJWKSet:
        if self._keys is not None and (kid is None or self._has(kid) or not self._may_refetch()):
            return self._keys
        async with self._lock:
            if self._keys is None or (
                kid is not None and not self._has(kid) and self._may_refetch()
            ):
                self._keys = await self._fetch()
                self._fetched_at = time.monotonic()
        return self._keys

    def _has(self, kid: str) -> bool:
        assert self._keys is not None
        return any(key.key_id == kid for key in self._keys.keys)

    def _may_refetch(self) -> bool:
        return time.monotonic() - self._fetched_at > JWKS_REFRESH_SECONDS

    async def _fetch(self) -> jwt.PyJWKSet:
        try:
            response = await self._client.get(self._url)
            response.raise_for_status()
            return jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, jwt.PyJWTError, ValueError) as exc:
            raise AuthUnavailable(f"Could not fetch signing keys from {self._url}.") from exc

    async def aclose(self) -> None:
        await self._client.aclose()


class CachedVerifier:
    """Remembers the tokens it has verified until each one expires.

    Checking an EdDSA signature is most of the cost of authenticating a request, and an access
    token's answer cannot change before its `exp` (there is no revocation of access tokens; they
    live 15 minutes). Only successes are kept, keyed by the whole token, so a token altered in
    any byte is a miss and is checked in full.
    """

    def __init__(self, inner: TokenVerifier, capacity: int = 10_000) -> None:
        self.inner = inner
        self.capacity = capacity
        self._verified: dict[str, Principal] = {}

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None and known.expires_at > time.time():
            return known
        principal = await self.inner.verify(token)
        if len(self._verified) >= self.capacity:
            # Dicts keep insertion order: drop the oldest entry.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = principal
        return principal


def generate_ed25519_pem() -> str:
    """A new signing key for access tokens, as PEM (what JWT_PRIVATE_KEY holds)."""
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
