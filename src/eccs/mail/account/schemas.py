"""What the data export holds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from eccs.contracts.lifecycle import EmailStatus, EventType, FailureReason
from eccs.mail.contacts.schemas import ContactOut
from eccs.mail.emails.schemas import ApiKeyRef, AttachmentOut, RecipientOut
from eccs.mail.suppressions.schemas import SuppressionOut
from eccs.mail.templates.schemas import TemplateOut


class ProfileExport(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Literal["user", "admin"]
    email_verified: bool
    created_at: datetime


class ApiKeyExport(BaseModel):
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class EmailExport(BaseModel):
    id: uuid.UUID
    subject: str
    status: EmailStatus
    failure_reason: FailureReason | None
    text: str | None
    html: str | None
    template_id: uuid.UUID | None
    created_at: datetime
    scheduled_at: datetime | None
    expires_at: datetime | None
    sent_at: datetime | None
    api_key: ApiKeyRef | None
    recipients: list[RecipientOut] = Field(description="Each with its outcome.")
    attachments: list[AttachmentOut] = Field(description="Their names and sizes, not contents.")


class WebhookEndpointExport(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    events: list[EventType]
    enabled: bool
    created_at: datetime


class AccountExport(BaseModel):
    """Everything ECCS keeps about you, as of `exported_at`: emails oldest first."""

    exported_at: datetime
    profile: ProfileExport
    api_keys: list[ApiKeyExport] = Field(description="Never the keys themselves.")
    templates: list[TemplateOut]
    contacts: list[ContactOut]
    suppressions: list[SuppressionOut]
    webhook_endpoints: list[WebhookEndpointExport] = Field(description="Never their secrets.")
    emails: list[EmailExport]
