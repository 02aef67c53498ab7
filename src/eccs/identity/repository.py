"""All SQL of the identity domain (the tables are in identity/models.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from eccs.platform.db import Connection, Database
from eccs.platform.settings import DatabaseSettings


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    email: str
    name: str
    role: str
    password_hash: str
    email_verified: bool


@dataclass(frozen=True)
class RefreshTokenRow:
    id: uuid.UUID
    family_id: uuid.UUID
    user_id: uuid.UUID
    secret_hash: bytes
    expires_at: datetime
    rotated_at: datetime | None
    successor: bytes | None
    revoked_at: datetime | None


class AddressInUse(Exception):
    """Another account has this address (in any letter case)."""


_USER_COLUMNS = (
    "id, email, name, role, password_hash, email_verified_at IS NOT NULL AS email_verified"
)
_USER = f"SELECT {_USER_COLUMNS} FROM users"


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def by_email(self, email: str) -> UserRow | None:
        row = await self.connection.fetchrow(
            f"{_USER} WHERE lower(email) = lower($1)", email.strip()
        )
        return UserRow(**row) if row else None

    async def by_id(self, user_id: uuid.UUID) -> UserRow | None:
        row = await self.connection.fetchrow(f"{_USER} WHERE id = $1", user_id)
        return UserRow(**row) if row else None

    async def add(
        self, email: str, name: str, password_hash: str, role: str, verified_at: datetime | None
    ) -> UserRow:
        """A new account; AddressInUse when the address has one (the unique index decides)."""
        row = await self.add_if_new(email, name, password_hash, role, verified_at)
        if row is None:
            raise AddressInUse()
        return row

    async def add_if_new(
        self, email: str, name: str, password_hash: str, role: str, verified_at: datetime | None
    ) -> UserRow | None:
        """A new account, or None when the address has one: the transaction carries on either
        way (a unique violation would have ended it)."""
        row = await self.connection.fetchrow(
            "INSERT INTO users (id, email, name, password_hash, role, email_verified_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (lower(email)) DO NOTHING"
            f" RETURNING {_USER_COLUMNS}",
            uuid.uuid4(),
            email,
            name,
            password_hash,
            role,
            verified_at,
        )
        return UserRow(**row) if row else None

    async def mark_verified(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.connection.execute(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, $2) WHERE id = $1",
            user_id,
            now,
        )

    async def set_password(self, user_id: uuid.UUID, password_hash: str) -> None:
        await self.connection.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash
        )

    async def set_name(self, user_id: uuid.UUID, name: str) -> UserRow:
        row = await self.connection.fetchrow(
            f"UPDATE users SET name = $2 WHERE id = $1 RETURNING {_USER_COLUMNS}", user_id, name
        )
        assert row is not None
        return UserRow(**row)

    async def delete(self, user_id: uuid.UUID) -> None:
        """The account, and with it its sign-ins, keys and links (their rows cascade)."""
        await self.connection.execute("DELETE FROM users WHERE id = $1", user_id)


class RefreshTokenRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def add(
        self,
        token_id: uuid.UUID,
        family_id: uuid.UUID,
        user_id: uuid.UUID,
        secret_hash: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self.connection.execute(
            "INSERT INTO refresh_tokens (id, family_id, user_id, secret_hash, created_at,"
            " expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            token_id,
            family_id,
            user_id,
            secret_hash,
            now,
            expires_at,
        )

    async def lock(self, token_id: uuid.UUID) -> RefreshTokenRow | None:
        """A token row, held until the transaction ends: two refreshes of it take turns."""
        row = await self.connection.fetchrow(
            "SELECT id, family_id, user_id, secret_hash, expires_at, rotated_at, successor,"
            " revoked_at FROM refresh_tokens WHERE id = $1 FOR UPDATE",
            token_id,
        )
        return RefreshTokenRow(**row) if row else None

    async def rotated(self, token_id: uuid.UUID, now: datetime, successor: bytes) -> None:
        await self.connection.execute(
            "UPDATE refresh_tokens SET rotated_at = $2, successor = $3 WHERE id = $1",
            token_id,
            now,
            successor,
        )

    async def revoke_all(self, user_id: uuid.UUID, now: datetime) -> None:
        """End every sign-in of an account."""
        await self.connection.execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            user_id,
            now,
        )

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.connection.execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            now,
        )

    async def purge_expired(self, cutoff: datetime) -> None:
        await self.connection.execute("DELETE FROM refresh_tokens WHERE expires_at < $1", cutoff)


@dataclass(frozen=True)
class AccountTokenRow:
    id: uuid.UUID
    user_id: uuid.UUID
    purpose: str
    secret_hash: bytes
    expires_at: datetime
    used_at: datetime | None


class AccountTokenRepository:
    """The single-use tokens of emailed links."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def add(
        self,
        token_id: uuid.UUID,
        user_id: uuid.UUID,
        purpose: str,
        secret_hash: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self.connection.execute(
            "INSERT INTO account_tokens (id, user_id, purpose, secret_hash, created_at,"
            " expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            token_id,
            user_id,
            purpose,
            secret_hash,
            now,
            expires_at,
        )

    async def lock(self, token_id: uuid.UUID) -> AccountTokenRow | None:
        """A token, held until the transaction ends: two uses of one link take turns."""
        row = await self.connection.fetchrow(
            "SELECT id, user_id, purpose, secret_hash, expires_at, used_at FROM account_tokens"
            " WHERE id = $1 FOR UPDATE",
            token_id,
        )
        return AccountTokenRow(**row) if row else None

    async def use_all(self, user_id: uuid.UUID, purpose: str, now: datetime) -> None:
        """Mark every unused token of an account for this purpose used: one link used, or the
        purpose fulfilled another way, leaves no other link of it working."""
        await self.connection.execute(
            "UPDATE account_tokens SET used_at = $3"
            " WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            user_id,
            purpose,
            now,
        )

    async def purge_expired(self, cutoff: datetime) -> None:
        await self.connection.execute("DELETE FROM account_tokens WHERE expires_at < $1", cutoff)


@dataclass(frozen=True)
class ApiKeyRow:
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class KeyHolder:
    """An API key in use, with the account it belongs to."""

    key: ApiKeyRow
    user: UserRow


_KEY_COLUMNS = "id, name, prefix, scopes, created_at, expires_at, last_used_at"


class ApiKeyRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def add(
        self,
        user_id: uuid.UUID,
        name: str,
        prefix: str,
        key_hash: bytes,
        scopes: list[str],
        now: datetime,
        expires_at: datetime | None,
    ) -> ApiKeyRow:
        row = await self.connection.fetchrow(
            "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, created_at,"
            f" expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_KEY_COLUMNS}",
            uuid.uuid4(),
            user_id,
            name,
            prefix,
            key_hash,
            scopes,
            now,
            expires_at,
        )
        assert row is not None
        return ApiKeyRow(**row)

    async def of_user(self, user_id: uuid.UUID) -> list[ApiKeyRow]:
        rows = await self.connection.fetch(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC",
            user_id,
        )
        return [ApiKeyRow(**row) for row in rows]

    async def ids_of_user(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.connection.fetch("SELECT id FROM api_keys WHERE user_id = $1", user_id)
        return [row["id"] for row in rows]

    async def delete(self, user_id: uuid.UUID, key_id: uuid.UUID) -> bool:
        deleted = await self.connection.fetchval(
            "DELETE FROM api_keys WHERE id = $1 AND user_id = $2 RETURNING true", key_id, user_id
        )
        return bool(deleted)

    async def use(self, key_hash: bytes, now: datetime) -> KeyHolder | None:
        """The unexpired key with this hash and its account, marked used now."""
        row = await self.connection.fetchrow(
            f"""
            WITH used AS (
                UPDATE api_keys SET last_used_at = $2
                WHERE key_hash = $1 AND (expires_at IS NULL OR expires_at > $2)
                RETURNING {_KEY_COLUMNS}, user_id
            )
            SELECT used.*, u.email, u.name AS user_name, u.role, u.password_hash,
                   u.email_verified_at IS NOT NULL AS email_verified
            FROM used JOIN users u ON u.id = used.user_id
            """,
            key_hash,
            now,
        )
        if row is None:
            return None
        key = ApiKeyRow(**{column: row[column] for column in _KEY_COLUMNS.split(", ")})
        user = UserRow(
            id=row["user_id"],
            email=row["email"],
            name=row["user_name"],
            role=row["role"],
            password_hash=row["password_hash"],
            email_verified=row["email_verified"],
        )
        return KeyHolder(key, user)


class ThrottleEventRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def hold(self, scope: str, subject: str) -> None:
        """Until this transaction ends, any other that asks to hold the same subject waits: so
        a count and the event recorded after it stay exact however many requests come at once
        (each would otherwise count before any of the others had recorded)."""
        await self.connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"throttle {scope} {subject}"
        )

    async def record(self, scope: str, subject: str, now: datetime) -> None:
        await self.connection.execute(
            "INSERT INTO throttle_events (scope, subject, at) VALUES ($1, $2, $3)",
            scope,
            subject,
            now,
        )

    async def window(
        self, scope: str, subject: str, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many events since a time, and the oldest of them."""
        row = await self.connection.fetchrow(
            "SELECT count(*), min(at) FROM throttle_events"
            " WHERE scope = $1 AND subject = $2 AND at > $3",
            scope,
            subject,
            since,
        )
        assert row is not None
        return int(row[0]), row[1]

    async def clear(self, scope: str, subject: str) -> None:
        await self.connection.execute(
            "DELETE FROM throttle_events WHERE scope = $1 AND subject = $2", scope, subject
        )

    async def purge_before(self, cutoff: datetime) -> None:
        await self.connection.execute("DELETE FROM throttle_events WHERE at < $1", cutoff)


class SignInAddressRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def known(self, user_id: uuid.UUID, address: str, since: datetime) -> bool:
        found = await self.connection.fetchval(
            "SELECT true FROM sign_in_addresses"
            " WHERE user_id = $1 AND address = $2 AND last_at > $3",
            user_id,
            address,
            since,
        )
        return bool(found)

    async def remember(self, user_id: uuid.UUID, address: str, now: datetime) -> None:
        await self.connection.execute(
            "INSERT INTO sign_in_addresses (user_id, address, last_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (user_id, address) DO UPDATE SET last_at = excluded.last_at",
            user_id,
            address,
            now,
        )

    async def purge_before(self, cutoff: datetime) -> None:
        await self.connection.execute("DELETE FROM sign_in_addresses WHERE last_at < $1", cutoff)


async def any_accounts(settings: DatabaseSettings) -> bool:
    """Whether anyone has an account yet (embedded mode's first start says how to make one)."""
    database = Database(settings, application_name="eccs-up")
    await database.open()
    try:
        async with database.connection() as connection:
            return bool(await connection.fetchval("SELECT EXISTS (SELECT FROM users)"))
    finally:
        await database.close()
