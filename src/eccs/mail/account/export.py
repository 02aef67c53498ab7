"""A person's data as one JSON document (account/schemas.py, AccountExport).

The profile, keys, templates and contacts are read at once; the emails, however many, are read
and written out a page at a time, so an export takes the same memory whatever its size.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson

from eccs.mail.account.repository import ExportRepository
from eccs.mail.account.schemas import (
    ApiKeyExport,
    EmailExport,
    ProfileExport,
    WebhookEndpointExport,
)
from eccs.mail.contacts.schemas import ContactOut
from eccs.mail.emails.schemas import ApiKeyRef, AttachmentOut, RecipientOut
from eccs.mail.errors import SenderGone
from eccs.mail.suppressions.schemas import SuppressionOut
from eccs.mail.templates.schemas import TemplateOut
from eccs.platform.db import Connection, Database

PAGE = 200


async def export_head(connection: Connection, user_id: uuid.UUID) -> dict[str, Any]:
    """Everything but the emails, ready to be written out."""
    data = ExportRepository(connection)
    profile = await data.profile(user_id)
    if profile is None:
        raise SenderGone()
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "profile": ProfileExport(**profile).model_dump(mode="json"),
        "api_keys": [
            ApiKeyExport(**row).model_dump(mode="json") for row in await data.api_keys(user_id)
        ],
        "templates": [
            TemplateOut(**row).model_dump(mode="json") for row in await data.templates(user_id)
        ],
        "contacts": [
            ContactOut(**row).model_dump(mode="json") for row in await data.contacts(user_id)
        ],
        "suppressions": [
            SuppressionOut(**row).model_dump(mode="json")
            for row in await data.suppressions(user_id)
        ],
        "webhook_endpoints": [
            WebhookEndpointExport(**row).model_dump(mode="json")
            for row in await data.webhook_endpoints(user_id)
        ],
    }


async def export_document(
    head: dict[str, Any], database: Database, user_id: uuid.UUID
) -> AsyncIterator[bytes]:
    """The whole document, the emails streamed page by page (in a read-only snapshot)."""
    yield orjson.dumps(head)[:-1] + b',"emails":['
    first = True
    async with (
        database.connection() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        async for email in _emails(ExportRepository(connection), user_id):
            yield (b"" if first else b",") + email.model_dump_json().encode()
            first = False
    yield b"]}"


async def _emails(data: ExportRepository, user_id: uuid.UUID) -> AsyncIterator[EmailExport]:
    after: tuple[datetime, uuid.UUID] | None = None
    while rows := await data.emails_after(user_id, after, PAGE):
        ids = [row["id"] for row in rows]
        recipients = _by_email(await data.recipients_of(ids))
        attachments = _by_email(await data.attachments_of(ids))
        for row in rows:
            yield _email(row, recipients[row["id"]], attachments[row["id"]])
        after = (rows[-1]["created_at"], rows[-1]["id"])


def _by_email(rows: list[Any]) -> defaultdict[uuid.UUID, list[dict[str, Any]]]:
    grouped: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        values = dict(row)
        grouped[values.pop("email_id")].append(values)
    return grouped


def _email(
    row: Any, recipients: list[dict[str, Any]], attachments: list[dict[str, Any]]
) -> EmailExport:
    values = dict(row)
    key_id, key_name = values.pop("api_key_id"), values.pop("api_key_name")
    return EmailExport(
        **values,
        api_key=ApiKeyRef(id=key_id, name=key_name) if key_id else None,
        recipients=[RecipientOut(**recipient) for recipient in recipients],
        attachments=[AttachmentOut(**attachment) for attachment in attachments],
    )
