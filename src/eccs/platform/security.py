"""Who is asking: access tokens and API keys, checked alike by every service.

Access tokens are signed by auth-service with an asymmetric key; everyone else holds only the
public half, fetched from `/api/auth/jwks` on first use and cached. Only the algorithm of the key
that matches the token's `kid` is accepted, which rules out `alg: none` and HS256-with-the-public-
key.

API keys (`eccs_...`) are known only to auth-service, which keeps an HMAC of each; the other
services ask it (`GET /api/auth/verify`) and remember the answer briefly (`CachedKeys`). A key
revoked, or an account deleted, is refused at once everywhere (platform/revocations.py).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from eccs.platform.errors import AppError, FieldProblem, Forbidden, NotAuthenticated
from eccs.platform.revocations import Revocations

ISSUER = "eccs-auth"
AUDIENCE = "eccs"
# A token whose kid we do not know triggers a JWKS refetch at most this often (key rotation).
JWKS_REFRESH_SECONDS = 30.0
# What every API key starts with, so that secret scanners can recognise a leaked one.
API_KEY_PREFIX = "eccs_"
# How long a service trusts its last check of an API key (revocations are heard sooner).
KEY_CACHE_SECONDS = 30.0


class Scope(StrEnum):
    """What an API key may do. A person signed in may do all of it (`admin`: administrators)."""

    EMAILS_SEND = "emails:send"  # send, retry and cancel emails
    EMAILS_READ = "emails:read"  # list and read emails and their statistics
    TEMPLATES = "templates"
    CONTACTS = "contacts"
    SUPPRESSIONS = "suppressions"  # the suppression list, and reporting complaints
    WEBHOOKS = "webhooks"  # webhook endpoints, their deliveries, re-sends and tests
    ADMIN = "admin"  # the operators' API; only keys of administrators may have it


class AuthUnavailable(AppError):
    status_code = 503
    code = "auth_unavailable"
    default_message = "Tokens cannot be checked right now; try again shortly."


class MissingScope(Forbidden):
    code = "missing_scope"

    def __init__(self, scope: Scope) -> None:
        super().__init__(
            f"This API key lacks the scope {scope.value}.",
            fields=[FieldProblem("scope", f"{scope.value} is needed")],
        )


class PersonRequired(Forbidden):
    code = "person_required"
    default_message = "This needs a person signed in (an access token), not an API key."


@dataclass(frozen=True)
class KeyRef:
    """The API key a request came with."""

    id: UUID
    name: str


@dataclass(frozen=True)
class Principal:
    id: UUID
    email: str
    role: str
    name: str = ""
    # When the credential that vouched for this principal expires (epoch seconds; an API key
    # without an expiry: infinity).
    expires_at: float = field(default=0.0, compare=False)
    # An API key's scopes; None for a person signed in, who may do all their role allows.
    scopes: frozenset[Scope] | None = None
    api_key: KeyRef | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def check(self, scope: Scope) -> None:
        """Raise 403 unless this principal may act in `scope`."""
        if scope is Scope.ADMIN and not self.is_admin:
            raise Forbidden("This needs the admin role.")
        if self.scopes is not None and scope not in self.scopes:
            raise MissingScope(scope)

    def check_person(self) -> None:
        """Raise 403 when this is an API key: managing the account needs its owner."""
        if self.api_key is not None:
            raise PersonRequired()


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


class Authenticator:
    """A request's bearer credential, whichever kind it is: an access token or an API key.

    Anything revoked while this process listened (a key, a deleted account) is refused, however
    it was vouched for: a cached key, or an access token that has not expired yet.
    """

    def __init__(
        self, tokens: TokenVerifier, keys: TokenVerifier, revocations: Revocations
    ) -> None:
        self.tokens = tokens
        self.keys = keys
        self.revocations = revocations

    async def verify(self, credential: str) -> Principal:
        verifier = self.keys if credential.startswith(API_KEY_PREFIX) else self.tokens
        principal = await verifier.verify(credential)
        key_id = principal.api_key.id if principal.api_key else None
        if self.revocations.covers(principal.id, key_id):
            raise NotAuthenticated("This API key was revoked, or its account deleted.")
        return principal


class CachedKeys:
    """Remembers the API keys it has checked, for KEY_CACHE_SECONDS or until a key expires.

    Only while revocations are heard: a revoked key is dropped the moment its announcement
    arrives, and when announcements may have been missed nothing is remembered at all. Checking
    a key is a database read or a call to auth-service; a send must not pay for it each time.
    """

    def __init__(
        self, inner: TokenVerifier, revocations: Revocations, capacity: int = 10_000
    ) -> None:
        self.inner = inner
        self.revocations = revocations
        self.capacity = capacity
        self._known: dict[str, tuple[Principal, float]] = {}
        revocations.on_revoked(self._forget)
        revocations.on_lost(self._known.clear)

    async def verify(self, key: str) -> Principal:
        if not self.revocations.listening:
            return await self.inner.verify(key)
        known = self._known.get(key)
        if known is not None and known[1] > time.time():
            return known[0]
        principal = await self.inner.verify(key)
        if self.revocations.listening:
            if len(self._known) >= self.capacity:
                del self._known[next(iter(self._known))]
            until = min(time.time() + KEY_CACHE_SECONDS, principal.expires_at)
            self._known[key] = (principal, until)
        return principal

    def _forget(self, subject: UUID) -> None:
        self._known = {
            key: (principal, until)
            for key, (principal, until) in self._known.items()
            if subject not in (principal.id, principal.api_key and principal.api_key.id)
        }


class RemoteKeyVerifier:
    """Asks auth-service who an API key belongs to (its forward-auth answer, `/api/auth/verify`)."""

    def __init__(self, auth_service_url: str, client: httpx.AsyncClient | None = None) -> None:
        self._url = auth_service_url.rstrip("/") + "/api/auth/verify"
        self._client = client or httpx.AsyncClient(timeout=5.0)

    async def verify(self, key: str) -> Principal:
        try:
            response = await self._client.get(self._url, headers={"Authorization": f"Bearer {key}"})
        except httpx.HTTPError as exc:
            raise AuthUnavailable(f"Could not reach {self._url} to check an API key.") from exc
        if response.status_code == 401:
            raise NotAuthenticated(_error_message(response))
        if response.status_code != 200:
            raise AuthUnavailable(f"{self._url} answered {response.status_code}.")
        return principal_of(response.json())

    async def aclose(self) -> None:
        await self._client.aclose()


def principal_of(verified: dict[str, Any]) -> Principal:
    """The principal of an API key as `/api/auth/verify` describes it."""
    key = verified["api_key"]
    expires = verified.get("expires_at")
    return Principal(
        id=UUID(verified["id"]),
        email=verified["email"],
        role=verified["role"],
        name=verified.get("name", ""),
        expires_at=float(expires) if expires is not None else math.inf,
        scopes=frozenset(Scope(scope) for scope in verified["scopes"]),
        api_key=KeyRef(UUID(key["id"]), key["name"]),
    )


def _error_message(response: httpx.Response) -> str | None:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return None
    return message if isinstance(message, str) else None


def generate_ed25519_pem() -> str:
    """A new signing key for access tokens, as PEM (what JWT_PRIVATE_KEY holds)."""
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
