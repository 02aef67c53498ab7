"""The backup file: a tar of encrypted members and the manifest that describes them.

A member is encrypted (age, to the key file's public key) as it is produced, so what it holds is
never stored in the clear, and described by the SHA-256 and size of what is stored and of what it
decrypts to. Reading checks both before anything is handed on: a flipped bit, a truncated copy or
a swapped member is refused as corrupt.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import pyrage
from pyrage import x25519

from eccs.backup.errors import BackupError, CorruptBackup
from eccs.backup.keys import key_id

FORMAT = 1
MANIFEST = "manifest.json"
SUFFIX = ".age"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    sha256: str
    bytes: int
    plain_sha256: str
    plain_bytes: int


@dataclass
class Manifest:
    created_at: str
    eccs_version: str
    schema_revision: str | None
    key: str
    postgres: dict[str, Any]
    audit: dict[str, Any]
    members: dict[str, Member] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            values = json.loads(raw)
            if values.get("format") != FORMAT:
                raise BackupError(
                    f"backup format {values.get('format')} is not one this version of ECCS reads"
                )
            values["members"] = {name: Member(**m) for name, m in values["members"].items()}
            return cls(**values)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CorruptBackup(f"the manifest is corrupt: {exc}") from exc


def seal(chunks: Iterable[bytes], into: Path, identity: x25519.Identity) -> Member:
    """Encrypt what `chunks` yields into `into` as it comes; describe both sides."""
    plain = _Plain(chunks)
    try:
        with into.open("wb") as out:
            pyrage.encrypt_io(plain, out, [identity.to_public()])
    except pyrage.EncryptError as exc:
        if plain.failure is not None:  # a stop, or the source failed: that is what happened
            raise plain.failure from None
        raise BackupError(f"cannot encrypt {into.name}: {exc}") from exc
    return Member(*_digest(into), plain.digest.hexdigest(), plain.size)


class _Plain(io.RawIOBase):
    """The bytes to encrypt, read by age's encryptor from an iterator of chunks, hashed and
    counted on the way. The encryptor reports a failed read only as text, so the exception
    itself (a stop, a failed dump) is kept to be raised again."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._left = memoryview(b"")
        self.digest = hashlib.sha256()
        self.size = 0
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self._fill(memoryview(buffer).cast("B"))
        except BaseException as exc:  # a stop arrives wherever Python code runs: here
            self.failure = exc
            raise

    def _fill(self, view: memoryview) -> int:
        """As much as fits, so that small chunks (BSON documents) make few calls."""
        filled = 0
        while filled < len(view) and (self._left or self._next()):
            taken = self._left[: len(view) - filled]
            view[filled : filled + len(taken)] = taken
            self._left = self._left[len(taken) :]
            filled += len(taken)
        self.digest.update(view[:filled])
        self.size += filled
        return filled

    def _next(self) -> bool:
        """The next chunk into `_left`; False at the end."""
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        self._left = memoryview(chunk)
        return True


def write(manifest: Manifest, sealed: list[Path], into: Path) -> None:
    """The archive at `into`, complete or absent: written aside, then renamed into place."""
    partial = into.with_name(f".{into.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
            for path in sealed:
                tar.add(path, arcname=path.name, recursive=False, filter=_private)
            content = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(content), int(time.time())
            tar.addfile(_private(info), io.BytesIO(content))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, into)
    except BaseException:  # a full disk, or a stop (SIGTERM) in the middle: nothing half-written
        partial.unlink(missing_ok=True)
        raise


def _private(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """Members readable by their owner only, owned by nobody in particular."""
    member.mode, member.uid, member.gid, member.uname, member.gname = 0o600, 0, 0, "", ""
    return member


def read_manifest(archive: Path) -> Manifest:
    with _open(archive) as tar:
        return Manifest.from_json(_member_bytes(tar, archive, MANIFEST))


def open_verified(archive: Path, identity: x25519.Identity, work_dir: Path) -> dict[str, Path]:
    """Every member decrypted into `work_dir` (by plain name), each checked against the manifest."""
    with _open(archive) as tar:
        manifest = Manifest.from_json(_member_bytes(tar, archive, MANIFEST))
        if manifest.key != key_id(identity):
            raise BackupError(
                f"{archive.name} was made with the key {manifest.key}, not this key file's"
                f" ({key_id(identity)}); give the key file it was made with"
            )
        return {
            name: _unseal(tar, archive, name, member, identity, work_dir)
            for name, member in manifest.members.items()
        }


def _unseal(
    tar: tarfile.TarFile,
    archive: Path,
    name: str,
    member: Member,
    identity: x25519.Identity,
    work_dir: Path,
) -> Path:
    sealed = work_dir / (name + SUFFIX)
    source = _extract(tar, archive, name + SUFFIX)
    with source, sealed.open("wb") as out:
        _copy(source, out)
    _expect(archive, sealed.name, _digest(sealed), (member.sha256, member.bytes))
    plain = work_dir / name
    try:
        pyrage.decrypt_file(str(sealed), str(plain), [identity])
    except pyrage.DecryptError as exc:
        raise CorruptBackup(f"{archive.name}: {name} does not decrypt: {exc}") from exc
    sealed.unlink()
    _expect(archive, name, _digest(plain), (member.plain_sha256, member.plain_bytes))
    return plain


def _expect(archive: Path, name: str, actual: tuple[str, int], expected: tuple[str, int]) -> None:
    if actual != expected:
        raise CorruptBackup(
            f"{archive.name} is corrupt: {name} has SHA-256 {actual[0]} ({actual[1]} bytes),"
            f" its manifest says {expected[0]} ({expected[1]} bytes). Nothing was restored;"
            " use another backup"
        )


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:")
    except (OSError, tarfile.TarError) as exc:
        raise CorruptBackup(f"{archive} is not a readable backup archive: {exc}") from exc


def _extract(tar: tarfile.TarFile, archive: Path, name: str) -> IO[bytes]:
    try:
        extracted = tar.extractfile(name)
    except (KeyError, tarfile.TarError) as exc:
        raise CorruptBackup(f"{archive.name} is corrupt or incomplete: no {name} in it") from exc
    if extracted is None:
        raise CorruptBackup(f"{archive.name} is corrupt: {name} is not a file")
    return extracted


def _member_bytes(tar: tarfile.TarFile, archive: Path, name: str) -> bytes:
    with _extract(tar, archive, name) as member:
        try:
            return member.read()
        except (OSError, tarfile.TarError) as exc:
            raise CorruptBackup(f"{archive.name} is corrupt: {name} cannot be read") from exc


def _copy(source: IO[bytes], out: IO[bytes]) -> None:
    try:
        while chunk := source.read(CHUNK):
            out.write(chunk)
    except tarfile.TarError as exc:
        raise CorruptBackup(f"a member of the archive cannot be read: {exc}") from exc


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
