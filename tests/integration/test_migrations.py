"""The migrations build exactly the tables the models define: the models are the one description
of each table, and nothing may drift between the two."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import eccs.audit.models
import eccs.contracts.tables
import eccs.contracts.webhook_tables
import eccs.identity.models
import eccs.mail.models  # noqa: F401  (each registers its tables)
from eccs.platform.schema import Base
from tests.conftest import Database


def test_the_migrated_database_is_what_the_models_define(database: Database) -> None:
    async def differences() -> list[Any]:
        engine = create_async_engine(database.url.replace("postgresql://", "postgresql+asyncpg://"))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await engine.dispose()

    found = [d for d in asyncio.run(differences()) if not _alembic_own(d)]
    assert found == []


def _alembic_own(difference: Any) -> bool:
    """Alembic's version table is not a model's."""
    return difference[0] == "remove_table" and difference[1].name == "alembic_version"
