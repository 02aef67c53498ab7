from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from eccs.platform.addresses import HeaderText

TemplateName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Subject = Annotated[HeaderText, StringConstraints(min_length=1, max_length=998)]


class TemplateIn(BaseModel):
    name: TemplateName
    subject: Subject
    html: str | None = None
    text: str | None = None


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


class PreviewRequest(BaseModel):
    """Unsaved template content and the data to render it with."""

    subject: Subject
    html: str | None = None
    text: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class PreviewData(BaseModel):
    data: dict[str, Any] = Field(default_factory=dict)


class PreviewOut(BaseModel):
    subject: str
    html: str | None
    text: str | None
