"""What the email API takes and answers."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from eccs.contracts.lifecycle import EmailStatus, RecipientKind, RecipientStatus
from eccs.mail.settings import RECIPIENTS_CEILING
from eccs.platform.addresses import EmailAddress, HeaderText, TemplateData, Text
from eccs.platform.errors import ErrorDetail
from eccs.platform.schemas import Moment, RequestBody


def _as_list(value: object) -> object:
    # The seed's clients send a single address as a plain string.
    addresses = [value] if isinstance(value, str) else value
    # Counted before a single address is parsed, so a body of 100,000 addresses costs nothing;
    # the configured limit (MAX_RECIPIENTS_PER_EMAIL, never above this) is checked after.
    if isinstance(addresses, list) and len(addresses) > RECIPIENTS_CEILING:
        raise ValueError(f"at most {RECIPIENTS_CEILING} addresses, not {len(addresses)}")
    return addresses


AddressList = Annotated[list[EmailAddress], BeforeValidator(_as_list)]
MimeType = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$", max_length=255)
]


def _decode_base64(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("is not valid base64") from exc


# Decoded once, when the request is read; written back as base64 where the request is stored
# (the fingerprint of an Idempotency-Key).
Base64Content = Annotated[
    bytes,
    BeforeValidator(_decode_base64),
    PlainSerializer(lambda content: base64.b64encode(content).decode(), return_type=str),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]


HeaderName = Annotated[str, StringConstraints(min_length=1, max_length=76)]
HeaderValue = Annotated[HeaderText, StringConstraints(min_length=1, max_length=900)]


class AttachmentIn(RequestBody):
    filename: Annotated[HeaderText, StringConstraints(min_length=1, max_length=255)]
    content_type: MimeType = "application/octet-stream"
    content_base64: Base64Content = Field(description="The file's bytes, base64-encoded.")


class SendRequest(RequestBody):
    """An email to send; `body`, `templateId` and `templateData` are accepted for older clients."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    to: AddressList = Field(min_length=1)
    cc: AddressList = []
    bcc: AddressList = []
    subject: Annotated[HeaderText, StringConstraints(max_length=998)] | None = None
    text: Text | None = Field(default=None, validation_alias=AliasChoices("text", "body"))
    html: Text | None = None
    template_id: uuid.UUID | None = Field(
        default=None, validation_alias=AliasChoices("template_id", "templateId")
    )
    template_data: TemplateData = Field(
        default_factory=dict, validation_alias=AliasChoices("template_data", "templateData")
    )
    scheduled_at: Moment | None = None
    expires_at: Moment | None = None
    attachments: list[AttachmentIn] = Field(default=[], max_length=50)
    reply_to: EmailAddress | None = Field(
        default=None, description="Replies go here instead of to your own address."
    )
    headers: dict[HeaderName, HeaderValue] = Field(
        default_factory=dict,
        max_length=50,
        description="Headers to add: X-* and List-* only (Reply-To has its own field).",
    )
    list_unsubscribe: bool = Field(
        default=False,
        description="Add List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 one-click)"
        " pointing at ECCS: a recipient who uses it goes on your suppression list and"
        " `email.unsubscribed` is sent to your webhooks. Needs exactly one recipient.",
    )


class Accepted(BaseModel):
    id: uuid.UUID
    status: EmailStatus
    created_at: datetime
    scheduled_at: datetime | None
    expires_at: datetime | None
    recipients: int


class RecipientOut(BaseModel):
    address: str
    kind: RecipientKind
    status: RecipientStatus
    attempts: int
    smtp_code: int | None
    smtp_reply: str | None
    updated_at: datetime | None


class AttachmentOut(BaseModel):
    filename: str
    content_type: str
    size: int


class TimelineEntry(BaseModel):
    """One step in an email's life: submitted (attempt 0), then the steps of each delivery
    attempt: started, accepted, refused, deferred (a temporary failure), retry_scheduled, sent,
    dead_lettered, ..."""

    attempt: int
    recipient: str | None = None
    outcome: str
    at: datetime
    smtp_code: int | None = None
    smtp_reply: str | None = None
    detail: str | None = None


class EmailSummary(BaseModel):
    id: uuid.UUID
    subject: str
    status: EmailStatus
    to: list[str]
    recipients: int
    attempts: int
    created_at: datetime
    scheduled_at: datetime | None
    sent_at: datetime | None
    batch_id: uuid.UUID | None


class ApiKeyRef(BaseModel):
    """The API key an email was sent with, as it was named then."""

    id: uuid.UUID
    name: str


class EmailOut(BaseModel):
    id: uuid.UUID
    subject: str
    status: EmailStatus
    text: str | None
    html: str | None
    template_id: uuid.UUID | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None
    expires_at: datetime | None
    sent_at: datetime | None
    api_key: ApiKeyRef | None = Field(
        description="The API key it was sent with; none when a person sent it signed in."
    )
    recipients: list[RecipientOut]
    attachments: list[AttachmentOut]
    timeline: list[TimelineEntry] = Field(
        description="Its submission (attempt 0: who sent it, and with which API key), then "
        "every step of every delivery attempt, oldest first."
    )
    reply_to: str | None
    headers: dict[str, str] = Field(description="The headers the sender added.")
    batch_id: uuid.UUID | None


class EmailPage(BaseModel):
    items: list[EmailSummary]
    total: int
    page: int
    page_size: int


class SeriesPoint(BaseModel):
    start: datetime
    sent: int
    failed: int


class EmailStats(BaseModel):
    by_status: dict[EmailStatus, int]
    total: int
    sent_today: int
    hourly: list[SeriesPoint] = Field(description="The last 24 hours, one point per UTC hour.")
    daily: list[SeriesPoint] = Field(description="The last 30 days, one point per UTC day.")


class BatchItemResult(BaseModel):
    """One email of a batch, by its place in the request: accepted (`email`) or not (`error`,
    its fields named `[index].field`)."""

    index: int
    email: Accepted | None = None
    error: ErrorDetail | None = None


class BatchAccepted(BaseModel):
    batch_id: uuid.UUID
    accepted: int
    rejected: int
    results: list[BatchItemResult]
