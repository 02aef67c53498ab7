"""The audit store in MongoDB: collection `email_events` of the URL's database (else `eccs`).

Old events expire through a TTL index on `at`. FerretDB v1 (MongoDB's wire protocol on
PostgreSQL) refuses TTL indexes; there the store keeps a plain index on `at` and says so, and the
service deletes old events periodically instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
import structlog
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure, PyMongoError

from eccs.audit.events import (
    EVENT_FIELDS,
    PERSONAL_FIELDS,
    AuditEvent,
    check_limit,
    purge_cutoff,
    values_of,
)

log = structlog.get_logger(__name__)

COLLECTION = "email_events"
DEFAULT_DATABASE = "eccs"
# How long an operation waits to find a server: short, so a missing server fails /ready and the
# worker's write quickly instead of after pymongo's default 30 s.
SERVER_SELECTION_TIMEOUT_MS = 5000
PING_TIMEOUT_SECONDS = 2.0
# The timeline reads one email's events in time order; _id breaks ties in insertion order.
TIMELINE_INDEX = [("email_id", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)]
EXPIRY_INDEX = "at_1"
# MongoDB error codes: NotImplemented and CommandNotSupported mean "this server has no TTL"
# (FerretDB v1 answers 238); IndexOptionsConflict means the TTL index exists with another expiry.
TTL_NOT_SUPPORTED = frozenset({238, 115})
INDEX_OPTIONS_CONFLICT = 85

Document = dict[str, Any]


def connect(url: str, *, app_name: str) -> AsyncMongoClient[Document]:
    """A client that stores UUIDs in the standard representation and reads dates back in UTC."""
    return AsyncMongoClient(
        url,
        appname=app_name,
        uuidRepresentation="standard",
        tz_aware=True,
        tzinfo=UTC,
        serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
    )


class MongoAuditStore:
    def __init__(self, client: AsyncMongoClient[Document], retention: timedelta) -> None:
        self._client = client
        self._events: AsyncCollection[Document] = client.get_default_database(DEFAULT_DATABASE)[
            COLLECTION
        ]
        self._retention = retention
        self._expires_by_itself = False
        self._told_about_periodic_deletes = False

    @property
    def expires_by_itself(self) -> bool:
        """Whether the TTL index is in place; known once `prepare` has run."""
        return self._expires_by_itself

    async def prepare(self) -> None:
        await self._events.create_index(TIMELINE_INDEX)
        self._expires_by_itself = await self._ensure_expiry_index()
        if not self._expires_by_itself and not self._told_about_periodic_deletes:
            self._told_about_periodic_deletes = True
            log.info(
                "audit_retention_by_periodic_deletes",
                reason="the MongoDB server does not apply TTL indexes",
                retention_days=self._retention.days,
            )

    async def _ensure_expiry_index(self) -> bool:
        """Create the TTL index on `at`, or a plain one where TTL is refused; True for TTL."""
        seconds = int(self._retention.total_seconds())
        try:
            await self._events.create_index(
                [("at", ASCENDING)], name=EXPIRY_INDEX, expireAfterSeconds=seconds
            )
        except OperationFailure as error:
            if error.code == INDEX_OPTIONS_CONFLICT:  # the retention changed since last start
                await self._change_expiry(seconds)
            elif error.code in TTL_NOT_SUPPORTED:
                await self._events.create_index([("at", ASCENDING)], name=EXPIRY_INDEX)
                return False
            else:
                raise
        # A server may accept the option and drop it silently; trust only what it reports back.
        return await self._reported_expiry() == seconds

    async def _change_expiry(self, seconds: int) -> None:
        await self._events.database.command(
            {"collMod": COLLECTION, "index": {"name": EXPIRY_INDEX, "expireAfterSeconds": seconds}}
        )

    async def _reported_expiry(self) -> int | None:
        indexes = await self._events.index_information()
        expiry = indexes.get(EXPIRY_INDEX, {}).get("expireAfterSeconds")
        return None if expiry is None else int(expiry)

    async def record(self, events: Sequence[AuditEvent]) -> None:
        if events:
            await self._events.insert_many([_document(event) for event in events], ordered=True)

    async def timeline(self, email_id: uuid.UUID, limit: int = 1000) -> list[AuditEvent]:
        check_limit(limit)
        cursor = self._events.find({"email_id": email_id}).sort(TIMELINE_INDEX[1:]).limit(limit)
        return [_event(document) async for document in cursor]

    async def purge(self, before: datetime) -> int:
        result = await self._events.delete_many({"at": {"$lt": purge_cutoff(before)}})
        return result.deleted_count

    async def anonymise(self, email_ids: Sequence[uuid.UUID]) -> int:
        if not email_ids:
            return 0
        cleared = {name: "" for name in PERSONAL_FIELDS}
        result = await self._events.update_many(
            {"email_id": {"$in": list(email_ids)}}, {"$unset": cleared}
        )
        return result.matched_count

    async def ping(self) -> bool:
        try:
            with pymongo.timeout(PING_TIMEOUT_SECONDS):
                await self._client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def close(self) -> None:
        await self._client.close()


def _document(event: AuditEvent) -> Document:
    # Absent fields are left out rather than stored as null: most events have only a few.
    return {
        name: value
        for name, value in zip(EVENT_FIELDS, values_of(event), strict=True)
        if value is not None
    }


def _event(document: Mapping[str, Any]) -> AuditEvent:
    # Fields left out when the event was recorded read back as None.
    values: dict[str, Any] = {name: document.get(name) for name in EVENT_FIELDS}
    return AuditEvent(**values)
