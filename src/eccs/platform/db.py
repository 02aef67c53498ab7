"""PostgreSQL access: one async engine per process, one session per request or message.

The caller that owns the unit of work (an endpoint, a message handler) commits; services only flush.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from eccs.platform.settings import DatabaseSettings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def create_engine(settings: DatabaseSettings, *, application_name: str) -> AsyncEngine:
    return create_async_engine(
        settings.sqlalchemy_url(),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        # No ping per checkout (a round trip on every request); connections are recycled
        # instead, and one broken by a server restart fails one request and is discarded.
        pool_recycle=300,
        # A statement's parameters are users' addresses, subjects and bodies: never in an error.
        hide_parameters=True,
        # Every date computed in SQL (stats buckets, day arithmetic) is in UTC, whatever the
        # server's or the role's default time zone.
        connect_args={"server_settings": {"application_name": application_name, "timezone": "UTC"}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(_request_session)]
