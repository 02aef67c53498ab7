"""A backup's member is encrypted as its source yields it: what is written is age's ciphertext
for the key, described by the checksums restore checks; a source that stops (a stop, a failed
dump) stops the sealing with its own exception."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from eccs.backup import archive
from eccs.backup.errors import BackupError

# Chunks of every size around age's own 64 KiB chunks, an empty one among them.
CHUNKS = [b"a" * 70_000, b"", b"b" * 10, bytes(range(256)) * 1000, b"c" * 65_536]


def test_a_sealed_member_opens_with_the_key_and_is_described_by_its_checksums(
    tmp_path: Path,
) -> None:
    identity = x25519.Identity.generate()
    sealed = tmp_path / "postgres.dump.age"
    member = archive.seal(iter(CHUNKS), sealed, identity)

    plain, stored = b"".join(CHUNKS), sealed.read_bytes()
    assert pyrage.decrypt(stored, [identity]) == plain
    assert (member.plain_sha256, member.plain_bytes) == (
        hashlib.sha256(plain).hexdigest(),
        len(plain),
    )
    assert (member.sha256, member.bytes) == (hashlib.sha256(stored).hexdigest(), len(stored))
    assert b"b" * 10 not in stored


@pytest.mark.parametrize("failure", [KeyboardInterrupt(), BackupError("pg_dump 15.8 failed")])
def test_a_source_that_fails_midway_stops_the_sealing_with_its_own_error(
    tmp_path: Path, failure: BaseException
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"x" * 200_000
        raise failure

    with pytest.raises(type(failure)) as raised:
        archive.seal(chunks(), tmp_path / "audit.bson.age", x25519.Identity.generate())
    assert raised.value is failure
