"""Templates: each user's named subjects and bodies, checked when saved and rendered on demand."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.mail.models import Template
from eccs.mail.templates.rendering import Rendered, check_syntax, render_parts
from eccs.mail.templates.repository import TemplateRepository
from eccs.mail.templates.schemas import TemplateIn
from eccs.platform.addresses import check_header_safe
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
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.templates = TemplateRepository(session)

    async def create(self, user_id: uuid.UUID, data: TemplateIn) -> Template:
        _check(data)
        template = Template(user_id=user_id, **data.model_dump())
        return await self._save(template, lambda: self.templates.add(template))

    async def update(
        self, user_id: uuid.UUID, template_id: uuid.UUID, data: TemplateIn
    ) -> Template:
        _check(data)
        template = await self.get(user_id, template_id)
        for field, value in data.model_dump().items():
            setattr(template, field, value)
        template.updated_at = datetime.now(UTC)
        return await self._save(template, self.session.flush)

    async def _save(self, template: Template, write: Callable[[], Awaitable[object]]) -> Template:
        try:
            async with self.session.begin_nested():
                await write()
        except IntegrityError as exc:
            raise TemplateNameTaken() from exc
        return template

    async def get(self, user_id: uuid.UUID, template_id: uuid.UUID) -> Template:
        template = await self.templates.get(user_id, template_id)
        if template is None:
            raise TemplateNotFound()
        return template

    async def delete(self, user_id: uuid.UUID, template_id: uuid.UUID) -> None:
        await self.templates.delete(await self.get(user_id, template_id))

    async def preview_saved(
        self, user_id: uuid.UUID, template_id: uuid.UUID, data: dict[str, Any]
    ) -> Rendered:
        template = await self.get(user_id, template_id)
        return preview(template.subject, template.text, template.html, data)


def preview(subject: str, text: str | None, html: str | None, data: dict[str, Any]) -> Rendered:
    # The preview request carries its data in `data`, so missing names are reported there.
    rendered = render_parts(subject, text, html, data, prefix="", data_field="data")
    try:
        check_header_safe(rendered.subject)
    except ValueError as exc:
        raise InvalidInput.on("subject", f"after rendering, {exc}") from exc
    return rendered


def _check(data: TemplateIn) -> None:
    if data.html is None and data.text is None:
        raise InvalidInput.on("text", "give text, html or both")
    for field in ("subject", "text", "html"):
        check_syntax(getattr(data, field), field)
