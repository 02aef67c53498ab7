"""API keys: made by a person for a program, shown once, stored as an HMAC, revoked at once.

A key is `eccs_` and 43 characters of base64url (256 random bits): the prefix lets secret
scanners recognise a leaked one, and its first characters (`prefix`) let its owner tell keys
apart. It is stored as an HMAC-SHA256 under API_KEY_SECRET, a key kept outside the database: a
check costs microseconds, not a bcrypt, and the stored rows alone cannot confirm a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from datetime import UTC, datetime

from eccs.identity.errors import ApiKeyNotFound, ScopeNotAllowed
from eccs.identity.repository import ApiKeyRepository, ApiKeyRow, KeyHolder
from eccs.identity.schemas import ApiKeyIn, ApiKeyOut, CreatedApiKeyOut
from eccs.platform.db import Connection, Database
from eccs.platform.errors import InvalidInput, NotAuthenticated
from eccs.platform.revocations import announce
from eccs.platform.security import API_KEY_PREFIX, KeyRef, Principal, Scope

# How much of a key is shown in lists: the prefix and eight characters.
SHOWN_LENGTH = len(API_KEY_PREFIX) + 8


class KeyHasher:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def digest(self, key: str) -> bytes:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).digest()


def new_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeys:
    """A person's keys: made, listed and revoked from the web app or the API."""

    def __init__(self, connection: Connection, hasher: KeyHasher) -> None:
        self.connection = connection
        self.keys = ApiKeyRepository(connection)
        self.hasher = hasher

    async def create(self, owner: Principal, request: ApiKeyIn) -> CreatedApiKeyOut:
        if Scope.ADMIN in request.scopes and not owner.is_admin:
            raise ScopeNotAllowed()
        now = datetime.now(UTC)
        if request.expires_at is not None and request.expires_at <= now:
            raise InvalidInput.on("expires_at", "must be in the future")
        key = new_key()
        row = await self.keys.add(
            owner.id,
            request.name,
            key[:SHOWN_LENGTH],
            self.hasher.digest(key),
            sorted(set(request.scopes)),
            now,
            request.expires_at,
        )
        return CreatedApiKeyOut(**_out(row).model_dump(), key=key)

    async def list(self, owner: Principal) -> list[ApiKeyOut]:
        return [_out(row) for row in await self.keys.of_user(owner.id)]

    async def revoke(self, owner: Principal, key_id: uuid.UUID) -> None:
        """Delete the key; every service refuses it once this commits (an announcement)."""
        if not await self.keys.delete(owner.id, key_id):
            raise ApiKeyNotFound()
        await announce(self.connection, key_id)


class LocalKeys:
    """auth-service's check of an API key: its HMAC looked up, its account read (and the key
    marked used: `last used` is as precise as the services' brief caches of checked keys)."""

    def __init__(self, database: Database, hasher: KeyHasher) -> None:
        self.database = database
        self.hasher = hasher

    async def verify(self, key: str) -> Principal:
        async with self.database.connection() as connection:
            holder = await ApiKeyRepository(connection).use(
                self.hasher.digest(key), datetime.now(UTC)
            )
        if holder is None:
            raise NotAuthenticated("The API key is invalid, expired or revoked.")
        return key_principal(holder)


def key_principal(holder: KeyHolder) -> Principal:
    key, user = holder.key, holder.user
    return Principal(
        id=user.id,
        email=user.email,
        role=user.role,
        name=user.name,
        expires_at=key.expires_at.timestamp() if key.expires_at else math.inf,
        scopes=frozenset(Scope(scope) for scope in key.scopes),
        api_key=KeyRef(key.id, key.name),
    )


def _out(row: ApiKeyRow) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=[Scope(scope) for scope in row.scopes],
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )
