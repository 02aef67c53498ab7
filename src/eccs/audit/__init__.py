"""The audit trail of delivery attempts, kept in MongoDB or PostgreSQL behind one interface."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from eccs.audit.events import AuditEvent, AuditStore
from eccs.audit.mongo import MongoAuditStore, connect
from eccs.audit.postgres import PostgresAuditStore
from eccs.audit.settings import AuditSettings
from eccs.platform.db import Database

__all__ = [
    "RETENTION_INTERVAL_SECONDS",
    "AuditEvent",
    "AuditSettings",
    "AuditStore",
    "open_audit_store",
    "ready_check",
    "retention_job",
]

# How often a service deletes expired events where the store does not expire them itself.
RETENTION_INTERVAL_SECONDS = 3600.0


def open_audit_store(settings: AuditSettings, database: Database, *, app_name: str) -> AuditStore:
    """MongoDB when MONGODB_URL is set, else the `audit_events` table of `database`.

    Nothing is contacted yet: call `prepare()` at start-up, and `close()` at shutdown.
    """
    if settings.mongodb_url is None:
        return PostgresAuditStore(database)
    client = connect(settings.mongodb_url.get_secret_value(), app_name=app_name)
    return MongoAuditStore(client, settings.retention)


def retention_job(store: AuditStore, settings: AuditSettings) -> Callable[[], Awaitable[int]]:
    """A job for `eccs.platform.background.periodically` that deletes events past retention.

    Run it when `store.expires_by_itself` is False (after `prepare()`):

        async with periodically("audit-retention", RETENTION_INTERVAL_SECONDS, job): ...
    """

    async def purge_expired() -> int:
        return await store.purge(datetime.now(UTC) - settings.retention)

    return purge_expired


class AuditStoreUnreachable(Exception):
    pass


def ready_check(store: AuditStore) -> Callable[[], Awaitable[None]]:
    """A check for a service's /ready: fails while the store does not answer."""

    async def reachable() -> None:
        if not await store.ping():
            raise AuditStoreUnreachable("the audit store does not answer")

    return reachable
