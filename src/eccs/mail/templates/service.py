"""Templates: each user's named subjects and bodies, checked when saved and rendered on demand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from eccs.mail.templates.rendering import check_syntax, render_parts
from eccs.mail.templates.repository import NameTaken, TemplateRepository
from eccs.mail.templates.schemas import PreviewOut, TemplateIn, TemplateOut, TemplatePage
from eccs.platform.addresses import check_header_safe
from eccs.platform.db import Connection
from eccs.platform.errors import Conflict, FieldProblem, InvalidInput, NotFound


class TemplateNotFound(NotFound):
    code = "template_not_found"
    default_message = "No such template."


class TemplateNameTaken(Conflict):
    code = "template_name_taken"
    default_message = "You already have a template with this name."

    def __init__(self) -> None:
        super().__init__(fields=[FieldProblem("name", "is already used by another template")])


class TemplateService:
    def __init__(self, connection: Connection) -> None:
        self.templates = TemplateRepository(connection)

    async def create(self, user_id: uuid.UUID, data: TemplateIn) -> TemplateOut:
        _check(data)
        try:
            return await self.templates.add(user_id, data, datetime.now(UTC))
        except NameTaken as exc:
            raise TemplateNameTaken() from exc

    async def update(
        self, user_id: uuid.UUID, template_id: uuid.UUID, data: TemplateIn
    ) -> TemplateOut:
        _check(data)
        try:
            template = await self.templates.update(user_id, template_id, data, datetime.now(UTC))
        except NameTaken as exc:
            raise TemplateNameTaken() from exc
        if template is None:
            raise TemplateNotFound()
        return template

    async def get(self, user_id: uuid.UUID, template_id: uuid.UUID) -> TemplateOut:
        template = await self.templates.get(user_id, template_id)
        if template is None:
            raise TemplateNotFound()
        return template

    async def delete(self, user_id: uuid.UUID, template_id: uuid.UUID) -> None:
        if not await self.templates.delete(user_id, template_id):
            raise TemplateNotFound()

    async def page(
        self, user_id: uuid.UUID, q: str | None, page: int, page_size: int
    ) -> TemplatePage:
        total, items = await self.templates.page(user_id, q, (page - 1) * page_size, page_size)
        return TemplatePage(items=items, total=total, page=page, page_size=page_size)

    async def preview_saved(
        self, user_id: uuid.UUID, template_id: uuid.UUID, data: dict[str, Any]
    ) -> PreviewOut:
        template = await self.get(user_id, template_id)
        return preview(template.subject, template.text, template.html, data)


def preview(subject: str, text: str | None, html: str | None, data: dict[str, Any]) -> PreviewOut:
    # The preview request carries its data in `data`, so missing names are reported there.
    rendered = render_parts(subject, text, html, data, prefix="", data_field="data")
    try:
        check_header_safe(rendered.subject)
    except ValueError as exc:
        raise InvalidInput.on("subject", f"after rendering, {exc}") from exc
    return PreviewOut(subject=rendered.subject, html=rendered.html, text=rendered.text)


def _check(data: TemplateIn) -> None:
    if data.html is None and data.text is None:
        raise InvalidInput.on("text", "give text, html or both")
    for field in ("subject", "text", "html"):
        check_syntax(getattr(data, field), field)
