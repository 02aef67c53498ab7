from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from eccs.platform.addresses import TemplateData, Text, check_header_safe, check_storable
from eccs.platform.schemas import RequestBody

# Constraints first: wrapped around an annotated type, pydantic would check the length of the
# raw value and let a name of only spaces through as "".
TemplateName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_storable),
]
Subject = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=998),
    AfterValidator(check_header_safe),
]


class TemplateIn(RequestBody):
    name: TemplateName
    subject: Subject
    html: Text | None = None
    text: Text | None = None


class TemplateOut(BaseModel):
    id: uuid.UUID
    name: str
    subject: str
    html: str | None
    text: str | None
    created_at: datetime
    updated_at: datetime


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    total: int
    page: int
    page_size: int


class PreviewRequest(RequestBody):
    """Unsaved template content and the data to render it with."""

    subject: Subject
    html: Text | None = None
    text: Text | None = None
    data: TemplateData = Field(default_factory=dict)


class PreviewData(RequestBody):
    data: TemplateData = Field(default_factory=dict)


class PreviewOut(BaseModel):
    subject: str
    html: str | None
    text: str | None
