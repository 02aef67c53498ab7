from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from eccs.platform.addresses import EmailAddress, HeaderText
from eccs.platform.schemas import RequestBody


class ContactIn(RequestBody):
    email: EmailAddress
    name: Annotated[HeaderText, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )


class ContactOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str | None
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    items: list[ContactOut]
    total: int
    page: int
    page_size: int
