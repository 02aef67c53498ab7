"""The audit trail in MongoDB: every collection of the audit database, as BSON documents.

The documents are copied as raw BSON, byte for byte (no decoding, so no type is ever changed),
into one stream: for each collection a small header document naming it, then its documents, as
mongodump's .bson files hold them. Restore empties each collection and inserts the documents
again; the collections keep their indexes (the services create any missing ones when they start).

The audit trail only grows, and it is exported after the database snapshot was taken, so every
delivery attempt of an email in the database dump is in the export (with perhaps a few newer ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import PyMongoError

from eccs.audit.mongo import DEFAULT_DATABASE
from eccs.backup.errors import BackupError

BATCH = 1000
HEADER_KEY = "__eccs_backup_collection__"
RAW = bson.CodecOptions(document_class=RawBSONDocument)


@dataclass(frozen=True)
class Export:
    database: str
    server_version: str
    documents: dict[str, int]  # per collection, counted as the stream is read


@contextmanager
def export(url: str) -> Iterator[tuple[Export, Iterator[bytes]]]:
    """The audit database as one stream of BSON documents (to be encrypted on the way, never
    stored in the clear), read while this is open."""
    try:
        with _client(url) as client:
            database = client.get_default_database(DEFAULT_DATABASE, codec_options=RAW)
            exported = Export(database.name, str(client.server_info()["version"]), {})
            yield exported, _documents(database, exported.documents)
    except PyMongoError as exc:
        raise BackupError(f"cannot export the audit trail from MongoDB: {exc}") from exc


def _documents(database: Database[Any], counts: dict[str, int]) -> Iterator[bytes]:
    for name in sorted(database.list_collection_names()):
        if name.startswith("system."):
            continue
        yield bson.encode({HEADER_KEY: name})
        counts[name] = 0
        for document in database[name].find({}, sort=[("_id", 1)]):
            yield document.raw
            counts[name] += 1


def import_(url: str, source: Path) -> dict[str, int]:
    """Replace the documents of each collection in the export with the exported ones."""
    try:
        with _client(url) as client, source.open("rb") as stream:
            database = client.get_default_database(DEFAULT_DATABASE, codec_options=RAW)
            return _load(database, stream)
    except PyMongoError as exc:
        raise BackupError(f"cannot restore the audit trail into MongoDB: {exc}") from exc


def _load(database: Database[Any], stream: BinaryIO) -> dict[str, int]:
    """Streams the export: memory holds one batch, however large the audit trail."""
    counts: dict[str, int] = {}
    collection: Collection[Any] | None = None
    batch: list[RawBSONDocument] = []
    for document in bson.decode_file_iter(stream, codec_options=RAW):
        if HEADER_KEY in document:
            _insert(collection, batch, counts)
            batch = []
            collection = database[str(document[HEADER_KEY])]
            collection.delete_many({})
            counts[collection.name] = 0
            continue
        batch.append(document)
        if len(batch) == BATCH:
            _insert(collection, batch, counts)
            batch = []
    _insert(collection, batch, counts)
    return counts


def _insert(
    collection: Collection[Any] | None, batch: list[RawBSONDocument], counts: dict[str, int]
) -> None:
    if not batch:
        return
    if collection is None:
        raise BackupError("the audit export starts with documents of no collection")
    collection.insert_many(batch, ordered=True)
    counts[collection.name] += len(batch)


def _client(url: str) -> MongoClient[Any]:
    return MongoClient(url, appname="eccs-backup", serverSelectionTimeoutMS=5000)
