"""How rows of the shared tables are keyed, where the code that writes them needs to know:
a new email's id, and the shards a counter is spread over."""

from __future__ import annotations

import uuid

from uuid_utils.compat import uuid7

# Counts are spread over this many rows per user (and state, or hour); a writer updates the
# shard of its connection's backend, so concurrent writers of one user almost never meet.
COUNTER_SHARDS = 64


def new_email_id() -> uuid.UUID:
    """A new email's id: a UUIDv7, which begins with the time it is made.

    New emails then go at the end of every index keyed by an email's id (its own, its
    recipients', its outbox rows', its audit events'), where random ids would each land on a
    page of their own: once those indexes outgrow memory, every send would read and write a
    page of each from disk. The rest of the id is random, and ids are never the only check
    on who may see an email.
    """
    return uuid7()
