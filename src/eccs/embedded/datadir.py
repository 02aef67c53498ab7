"""The data directory of embedded mode (`ECCS_DATA_DIR`, `./.eccs` by default).

postgres/              the PostgreSQL cluster (owned by the server's user when run as root)
mail/                  what the development mail catcher caught
logs/                  logs of the processes `eccs up` starts (the broker's)
jwt-private-key.pem    auth-service's signing key, made on the first start (0600)
api-key-secret         the key of the HMAC API keys are stored as, made on the first start (0600)
eccs-up.lock           held while `eccs up` runs, so two cannot share one directory
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from eccs.embedded.errors import AlreadyRunning, EmbeddedError


class DataDir:
    def __init__(self, path: Path) -> None:
        self.path = path.expanduser().absolute()

    @property
    def postgres(self) -> Path:
        return self.path / "postgres"

    @property
    def mail(self) -> Path:
        return self.path / "mail"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def jwt_key(self) -> Path:
        return self.path / "jwt-private-key.pem"

    def shown(self, path: Path | None = None) -> str:
        """A path as the user best recognises it: relative to the current directory if inside."""
        path = path or self.path
        with contextlib.suppress(ValueError):
            return str(path.relative_to(Path.cwd())) or "."
        return str(path)

    def prepare(self) -> None:
        """Create the directory (private to this user) and its logs folder, if missing."""
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.logs.mkdir(mode=0o700, exist_ok=True)
            self.mail.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise EmbeddedError(
                f"cannot use {self.path} as the data directory ({exc.strerror}): "
                "set ECCS_DATA_DIR to a directory you can write to"
            ) from exc

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Held while `eccs up` runs; a second one on the same directory is refused."""
        path = self.path / "eccs-up.lock"
        with path.open("a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.seek(0)
                holder = lock.read().strip() or "another process"
                raise AlreadyRunning(
                    f"ECCS is already running with its data in {self.shown()} (pid {holder}): "
                    "use that one, stop it first, or set ECCS_DATA_DIR to another directory"
                ) from None
            lock.seek(0)
            lock.truncate()
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            try:
                yield
            finally:
                lock.truncate(0)

    def secret_files(self) -> dict[str, Path]:
        """auth-service's secrets, each generated once and then kept, so that sessions and API
        keys survive a restart; by the variable each stands in for."""
        from eccs.platform.security import generate_ed25519_pem

        return {
            "JWT_PRIVATE_KEY": self._kept(self.jwt_key, generate_ed25519_pem),
            "API_KEY_SECRET": self._kept(
                self.path / "api-key-secret", lambda: secrets.token_urlsafe(32)
            ),
        }

    def _kept(self, path: Path, make: Callable[[], str]) -> Path:
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as secret:
                secret.write(make())
        return path
