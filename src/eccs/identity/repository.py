"""All SQL of the identity domain (the tables are in identity/models.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from eccs.platform.db import Connection, Database
from eccs.platform.settings import DatabaseSettings


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    email: str
    name: str
    role: str
    password_hash: str


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


_USER = "SELECT id, email, name, role, password_hash FROM users"


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

    async def add(self, email: str, name: str, password_hash: str, role: str) -> UserRow:
        """A new account; AddressInUse when the address has one (the unique index decides)."""
        try:
            row = await self.connection.fetchrow(
                "INSERT INTO users (id, email, name, password_hash, role)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id, email, name, role, password_hash",
                uuid.uuid4(),
                email,
                name,
                password_hash,
                role,
            )
        except asyncpg.UniqueViolationError as exc:
            raise AddressInUse() from exc
        assert row is not None
        return UserRow(**row)


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

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.connection.execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            now,
        )

    async def purge_expired(self, cutoff: datetime) -> None:
        await self.connection.execute("DELETE FROM refresh_tokens WHERE expires_at < $1", cutoff)


class ThrottleEventRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

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
