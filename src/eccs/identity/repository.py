"""All SQL of the identity domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.identity.models import LoginFailure, RefreshToken, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_email(self, email: str) -> User | None:
        query = select(User).where(func.lower(User.email) == email.strip().lower())
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token: RefreshToken) -> None:
        self.session.add(token)
        await self.session.flush()

    async def lock(self, token_id: uuid.UUID) -> RefreshToken | None:
        """Load a token row and hold it, so two concurrent refreshes of it take turns."""
        query = select(RefreshToken).where(RefreshToken.id == token_id).with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def purge_expired(self, cutoff: datetime) -> None:
        await self.session.execute(delete(RefreshToken).where(RefreshToken.expires_at < cutoff))

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class LoginFailureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, scope: str, subject: str, now: datetime) -> None:
        self.session.add(LoginFailure(scope=scope, subject=subject, at=now))
        await self.session.flush()

    async def window(
        self, scope: str, subject: str, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many failures since a time, and the oldest of them."""
        query = select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.scope == scope, LoginFailure.subject == subject, LoginFailure.at > since
        )
        count, oldest = (await self.session.execute(query)).one()
        return int(count), oldest

    async def clear(self, scope: str, subject: str) -> None:
        await self.session.execute(
            delete(LoginFailure).where(LoginFailure.scope == scope, LoginFailure.subject == subject)
        )

    async def purge_before(self, cutoff: datetime) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
