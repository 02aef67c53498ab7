"""Erasing a deleted account's data, which two services hold.

auth-service deletes the account (its sign-ins, keys and links go with it) and, in the same
transaction, asks for the rest to be erased (`request_erasure`), announcing it as a revocation so
every service refuses the account's tokens at once. email-service erases the emails (cancelling
those not delivered yet), templates, contacts and counters, anonymises their audit trail, and
removes the request (mail/account/erasure.py). The request is the table `account_erasures`
(contracts/tables.py), so nothing is lost when email-service is down: it erases when it is back.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eccs.platform.db import Connection
from eccs.platform.revocations import announce


async def request_erasure(connection: Connection, user_id: uuid.UUID, now: datetime) -> None:
    """Ask for an account's data to be erased once the caller's transaction commits."""
    await connection.execute(
        "INSERT INTO account_erasures (user_id, requested_at) VALUES ($1, $2)"
        " ON CONFLICT (user_id) DO NOTHING",
        user_id,
        now,
    )
    await announce(connection, user_id)
