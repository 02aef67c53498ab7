"""What the suppression API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from eccs.contracts.lifecycle import SuppressionReason
from eccs.platform.addresses import EmailAddress, Text
from eccs.platform.schemas import RequestBody


class SuppressionIn(RequestBody):
    address: EmailAddress
    detail: Annotated[Text, StringConstraints(max_length=500)] | None = None


class SuppressionOut(BaseModel):
    address: str
    reason: SuppressionReason
    created_at: datetime
    email_id: uuid.UUID | None
    smtp_code: int | None
    detail: str | None


class SuppressionPage(BaseModel):
    items: list[SuppressionOut]
    total: int
    page: int
    page_size: int


class ListedSuppression(SuppressionOut):
    """A suppression on any sender's list, for operators."""

    user_id: uuid.UUID
    sender_email: str


class ListedSuppressionPage(BaseModel):
    items: list[ListedSuppression]
    total: int
    page: int
    page_size: int


class ComplaintIn(RequestBody):
    """A recipient reported the email as spam (say, through a mailbox provider's feedback
    loop): the address goes on your suppression list and `email.complained` is sent."""

    recipient: EmailAddress
    detail: Annotated[Text, StringConstraints(max_length=500)] | None = None


class Unsubscribed(BaseModel):
    address: str
    sender: str
