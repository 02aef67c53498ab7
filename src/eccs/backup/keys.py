"""The key file: an age X25519 identity, in the format `age-keygen` writes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from pyrage import IdentityError, x25519

from eccs.backup.errors import BackupError

SECRET_PREFIX = "AGE-SECRET-KEY-"  # noqa: S105 (how age marks a secret key, not a secret)


def load_identity(path: Path) -> x25519.Identity:
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise BackupError(
            f"cannot read the key file {path}: {exc.strerror}. Make one with"
            f" `eccs backup --new-key --key-file {path}` (and keep a copy away from the backups)"
        ) from exc
    secrets = [line.strip() for line in lines if line.strip().startswith(SECRET_PREFIX)]
    try:
        return x25519.Identity.from_str(secrets[0])
    except (IndexError, IdentityError) as exc:
        raise BackupError(f"{path} holds no age secret key ({SECRET_PREFIX}…)") from exc


def create_key_file(path: Path) -> x25519.Identity:
    """A new identity written to `path` (readable by its owner only); never overwrites."""
    identity = x25519.Identity.generate()
    content = (
        f"# created: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
        f"# public key: {identity.to_public()}\n"
        f"{identity}\n"
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise BackupError(f"{path} exists already; it is never overwritten") from exc
    except OSError as exc:
        raise BackupError(f"cannot create the key file {path}: {exc.strerror}") from exc
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(content)
    return identity


def key_id(identity: x25519.Identity) -> str:
    """The public key, which names the key a backup needs without revealing it."""
    return str(identity.to_public())
