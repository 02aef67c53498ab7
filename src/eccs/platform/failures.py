"""Whether an error is the infrastructure's (the database, the broker, the audit store) rather
than the work's own: work that fails for the infrastructure is not the work's fault, and is
neither given up on nor split up to find the culprit."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError
from pymongo.errors import ConnectionFailure

# The database, the broker or the audit store failing, rather than one message or request.
# An error may arrive wrapped in another, so causes are searched.
_INFRASTRUCTURE = (
    KafkaError,
    ConnectionFailure,  # MongoDB unreachable, or timing out
    OSError,  # connections refused, reset, unreachable
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # the server shutting down, or not accepting yet
    asyncpg.InsufficientResourcesError,  # disk full, out of memory, too many connections
    asyncpg.InterfaceError,  # the connection was closed under us
    # A deadlock or serialization failure that running again did not settle (`is_conflict`).
    asyncpg.TransactionRollbackError,
)


def is_infrastructure_failure(exc: BaseException) -> bool:
    """Whether an error is the database's, the broker's or the audit store's, not the work's
    own (a message's, a request's)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _INFRASTRUCTURE):
            return True
        current = current.__cause__ or current.__context__
    return False


def is_conflict(exc: BaseException) -> bool:
    """Whether PostgreSQL rolled a transaction back to settle a conflict with another one (a
    deadlock, a serialization failure): nothing of it was kept, and running it again will
    most likely succeed."""
    return isinstance(exc, asyncpg.TransactionRollbackError)
