"""Taking, checking and restoring backups, and pruning old ones."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from pyrage import x25519

from eccs.audit.settings import AuditSettings
from eccs.backup import archive, mongo, postgres
from eccs.backup.errors import BackupError
from eccs.backup.keys import key_id
from eccs.backup.retention import Retention
from eccs.platform.settings import DatabaseSettings

DATABASE_MEMBER = "postgres.dump"
AUDIT_MEMBER = "audit.bson"
STAMP = "%Y%m%dT%H%M%SZ"
ARCHIVE_NAME = re.compile(r"^eccs-backup-(\d{8}T\d{6}Z)\.tar$")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Sources:
    """What is backed up or restored into: DATABASE_URL, and MONGODB_URL when the audit trail
    is kept in MongoDB."""

    database_url: str
    mongodb_url: str | None

    @classmethod
    def from_settings(cls, database: DatabaseSettings, audit: AuditSettings) -> Sources:
        mongodb_url = audit.mongodb_url.get_secret_value() if audit.mongodb_url else None
        return cls(database.libpq_url(), mongodb_url)


@dataclass(frozen=True)
class Taken:
    path: Path
    manifest: archive.Manifest
    pruned: list[Path]


def back_up(
    sources: Sources,
    directory: Path,
    identity: x25519.Identity,
    retention: Retention,
    progress: Progress,
) -> Taken:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.now(UTC)
    target = directory / f"eccs-backup-{now.strftime(STAMP)}.tar"
    if target.exists():
        raise BackupError(f"{target} exists already; wait a second and run it again")
    server = postgres.describe(sources.database_url, progress)
    # Written next to the archive, so the final rename stays on one filesystem; only encrypted
    # bytes are ever written there.
    with tempfile.TemporaryDirectory(dir=directory, prefix=".eccs-backup-") as work:
        manifest, sealed = _collect(sources, server, Path(work), identity, progress)
        manifest.created_at = now.isoformat()
        progress(f"Writing {target.name}…")
        archive.write(manifest, sealed, target)
    return Taken(target, manifest, prune(directory, retention))


def _collect(
    sources: Sources,
    server: postgres.Server,
    work: Path,
    identity: x25519.Identity,
    progress: Progress,
) -> tuple[archive.Manifest, list[Path]]:
    manifest = archive.Manifest(
        created_at="",
        eccs_version=version("eccs"),
        schema_revision=server.schema_revision,
        key=key_id(identity),
        postgres={"server_version": server.version},
        audit={"store": "postgresql"},
    )
    # The database first: the audit trail only grows, so exporting it afterwards covers every
    # email in the snapshot.
    progress(f"Dumping PostgreSQL {server.version} (one consistent snapshot), encrypted…")
    dumped_with, dump = postgres.dump(server)
    with closing(dump):
        sealed = [_seal(manifest, DATABASE_MEMBER, dump, work, identity)]
    manifest.postgres |= {
        "pg_dump_version": dumped_with.version,
        "pg_dump_major": dumped_with.major,
    }
    if sources.mongodb_url:
        progress("Exporting the audit trail from MongoDB, encrypted…")
        with mongo.export(sources.mongodb_url) as (exported, documents):
            sealed.append(_seal(manifest, AUDIT_MEMBER, documents, work, identity))
        manifest.audit = {
            "store": "mongodb",
            "database": exported.database,
            "server_version": exported.server_version,
            "documents": exported.documents,
        }
    return manifest, sealed


def _seal(
    manifest: archive.Manifest,
    name: str,
    chunks: Iterator[bytes],
    work: Path,
    identity: x25519.Identity,
) -> Path:
    """The member `name`, encrypted into `work` and described in the manifest."""
    sealed = work / f"{name}{archive.SUFFIX}"
    manifest.members[name] = archive.seal(chunks, sealed, identity)
    return sealed


def prune(directory: Path, retention: Retention) -> list[Path]:
    """Delete the backups in `directory` that the retention does not keep; only files named as
    `eccs backup` names them are ever touched."""
    found = _by_time(directory)
    kept = retention.kept(found)
    pruned = [path for moment, path in sorted(found.items()) if moment not in kept]
    for path in pruned:
        path.unlink()
    return pruned


def backups(directory: Path) -> list[Path]:
    """The backups in `directory`, oldest first."""
    return [path for _, path in sorted(_by_time(directory).items())]


def _by_time(directory: Path) -> dict[datetime, Path]:
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a folder of backups")
    return {
        datetime.strptime(match[1], STAMP).replace(tzinfo=UTC): path
        for path in directory.iterdir()
        if (match := ARCHIVE_NAME.match(path.name))
    }


def verify(backup: Path, identity: x25519.Identity) -> archive.Manifest:
    """Check every member of a backup against its manifest, restoring nothing."""
    with tempfile.TemporaryDirectory(prefix="eccs-verify-") as work:
        archive.open_verified(backup, identity, Path(work))
    return archive.read_manifest(backup)


def restore(
    sources: Sources, backup: Path, identity: x25519.Identity, progress: Progress
) -> archive.Manifest:
    """Every checksum is checked before anything is changed; PostgreSQL is restored in one
    transaction; then the audit trail's collections are replaced."""
    manifest = archive.read_manifest(backup)
    if AUDIT_MEMBER in manifest.members and not sources.mongodb_url:
        raise BackupError(
            f"{backup.name} holds an audit trail from MongoDB: set MONGODB_URL to restore it"
        )
    with tempfile.TemporaryDirectory(prefix="eccs-restore-") as work:
        progress(f"Checking {backup.name} against its manifest…")
        members = archive.open_verified(backup, identity, Path(work))
        server = postgres.describe(sources.database_url, progress)
        progress(f"Restoring PostgreSQL {server.version} (one transaction)…")
        postgres.restore(server, members[DATABASE_MEMBER], manifest.postgres["pg_dump_major"])
        if AUDIT_MEMBER in members and sources.mongodb_url:
            progress("Restoring the audit trail into MongoDB…")
            mongo.import_(sources.mongodb_url, members[AUDIT_MEMBER])
    return manifest
