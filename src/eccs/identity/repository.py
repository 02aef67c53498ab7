"""All SQL of the identity domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.identity.models import RefreshToken, SignInAddress, ThrottleEvent, User


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


class ThrottleEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, scope: str, subject: str, now: datetime) -> None:
        await self.session.execute(
            insert(ThrottleEvent).values(scope=scope, subject=subject, at=now)
        )

    async def window(
        self, scope: str, subject: str, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many events since a time, and the oldest of them."""
        query = select(func.count(), func.min(ThrottleEvent.at)).where(
            ThrottleEvent.scope == scope, ThrottleEvent.subject == subject, ThrottleEvent.at > since
        )
        count, oldest = (await self.session.execute(query)).one()
        return int(count), oldest

    async def clear(self, scope: str, subject: str) -> None:
        await self.session.execute(
            delete(ThrottleEvent).where(
                ThrottleEvent.scope == scope, ThrottleEvent.subject == subject
            )
        )

    async def purge_before(self, cutoff: datetime) -> None:
        await self.session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < cutoff))


class SignInAddressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def known(self, user_id: uuid.UUID, address: str, since: datetime) -> bool:
        query = select(SignInAddress.user_id).where(
            SignInAddress.user_id == user_id,
            SignInAddress.address == address,
            SignInAddress.last_at > since,
        )
        return (await self.session.execute(query)).first() is not None

    async def remember(self, user_id: uuid.UUID, address: str, now: datetime) -> None:
        statement = pg_insert(SignInAddress).values(user_id=user_id, address=address, last_at=now)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[SignInAddress.user_id, SignInAddress.address],
                set_={"last_at": now},
            )
        )

    async def purge_before(self, cutoff: datetime) -> None:
        await self.session.execute(delete(SignInAddress).where(SignInAddress.last_at < cutoff))
