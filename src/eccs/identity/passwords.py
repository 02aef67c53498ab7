"""Password rules and hashing.

bcrypt reads at most 72 bytes, so longer passwords are refused rather than silently truncated.
Hashing is CPU-bound and runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
from functools import cache

import bcrypt
from zxcvbn.matching import RANKED_DICTIONARIES

from eccs.platform.errors import InvalidInput

MIN_BYTES = 10
MAX_BYTES = 72


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a ranked list of passwords seen most often in public leaks.
    return frozenset(RANKED_DICTIONARIES["passwords"])


def password_problem(password: str, email: str) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    size = len(password.encode("utf-8"))
    if size < MIN_BYTES:
        return f"must be at least {MIN_BYTES} bytes long"
    if size > MAX_BYTES:
        return f"must be at most {MAX_BYTES} bytes (UTF-8) long"
    if not password.strip():
        return "must not be only spaces"
    if len(set(password)) == 1:
        return "must not be one character repeated"
    if password.strip().lower() in {email.strip().lower(), email.split("@")[0].lower()}:
        return "must not be your email address"
    if password.lower() in _common_passwords():
        return "is one of the most common passwords; choose another"
    return None


def check_password(password: str, email: str, field: str = "password") -> None:
    """Refuse (422 naming `field`) a password against the rules."""
    if problem := password_problem(password, email):
        raise InvalidInput.on(field, problem)


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        # Unknown accounts are checked against this, so both answers take the same time.
        self._decoy = bcrypt.hashpw(b"decoy-password", bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self.rounds)
        hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode("utf-8"), salt)
        return hashed.decode("ascii")

    async def verify(self, password: str, hashed: str | None) -> bool:
        if len(password.encode("utf-8")) > MAX_BYTES:
            return False  # could never have been set; bcrypt itself refuses such input
        target = hashed.encode("ascii") if hashed else self._decoy
        matches = await asyncio.to_thread(bcrypt.checkpw, password.encode("utf-8"), target)
        return matches and hashed is not None
