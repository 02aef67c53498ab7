"""The emails ECCS itself sends about accounts: the link that verifies an address, the notice
that someone tried to sign up with an address that has an account, the password-reset link.

auth-service writes them, in the transaction of the change that causes them, into the tables
email-service owns (an email, its one recipient, its delivery request) through this module and
no other way (docs/architecture.md). From there they travel like any other email: the outbox,
Kafka, the worker, SMTP, the audit trail; embedded mode's mail catcher shows them.

They belong to no user: their `user_id` is ACCOUNT_MAIL_SENDER, so nobody's list, statistics or
quota counts them; operators read them at `/api/admin/account-emails`. Their sender address is
empty, so they go out without a Reply-To: From is the platform's own address (SMTP_FROM).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from eccs.contracts import outbox
from eccs.contracts.keys import new_email_id
from eccs.contracts.lifecycle import EmailStatus, RecipientKind
from eccs.platform.db import Connection

ACCOUNT_MAIL_SENDER = uuid.UUID(int=0)
SENDER_NAME = "ECCS"


@dataclass(frozen=True)
class AccountEmail:
    to: str
    subject: str
    text: str
    # A link's email is worth delivering only while the link works.
    expires_at: datetime


_INSERT = f"""
WITH email AS (
    INSERT INTO emails (id, user_id, sender_name, sender_email, subject, text_body, status,
                        expires_at, created_at, updated_at, to_addresses, recipient_count)
    VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $8, ARRAY[$9::text], 1)
), recipient AS (
    INSERT INTO email_recipients (email_id, position, kind, address)
    VALUES ($1, 0, '{RecipientKind.TO.value}', $9)
), request AS (
    {outbox.insert_sql(10)}
)
SELECT $1::uuid
"""


async def queue_account_email(
    connection: Connection, email: AccountEmail, now: datetime, traceparent: str | None
) -> uuid.UUID:
    """Write an account email and its delivery request; answers its id."""
    email_id = new_email_id()
    request = outbox.delivery_request(email_id, "new", 1, now, now, traceparent)
    await connection.execute(
        _INSERT,
        email_id,
        ACCOUNT_MAIL_SENDER,
        SENDER_NAME,
        email.subject,
        email.text,
        EmailStatus.QUEUED,
        email.expires_at,
        now,
        email.to,
        *outbox.columns([request]),
    )
    return email_id
