"""email-service HTTP routes: /api/templates/*."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from eccs.mail.templates.schemas import (
    PreviewData,
    PreviewOut,
    PreviewRequest,
    TemplateIn,
    TemplateOut,
    TemplatePage,
)
from eccs.mail.templates.service import TemplateService, preview
from eccs.platform.addresses import SearchText
from eccs.platform.dependencies import Db, TemplateUser
from eccs.platform.http import api_router, errors

router = api_router("/api/templates", "templates", scoped=True)


@router.post("", status_code=201, response_model=TemplateOut, responses=errors(401, 409, 422))
async def create_template(body: TemplateIn, user: TemplateUser, db: Db) -> TemplateOut:
    return await TemplateService(db).create(user.id, body)


@router.get("", response_model=TemplatePage, responses=errors(401, 422))
async def list_templates(
    user: TemplateUser,
    db: Db,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    q: Annotated[SearchText | None, Query(max_length=200, description="Name prefix")] = None,
) -> TemplatePage:
    return await TemplateService(db).page(user.id, q, page, page_size)


@router.post(
    "/preview",
    response_model=PreviewOut,
    responses=errors(401, 422),
    summary="Render unsaved content",
)
async def preview_unsaved(body: PreviewRequest, user: TemplateUser) -> PreviewOut:
    return preview(body.subject, body.text, body.html, body.data)


@router.get("/{template_id}", response_model=TemplateOut, responses=errors(401, 404, 422))
async def read_template(template_id: uuid.UUID, user: TemplateUser, db: Db) -> TemplateOut:
    return await TemplateService(db).get(user.id, template_id)


@router.put("/{template_id}", response_model=TemplateOut, responses=errors(401, 404, 409, 422))
async def update_template(
    template_id: uuid.UUID, body: TemplateIn, user: TemplateUser, db: Db
) -> TemplateOut:
    return await TemplateService(db).update(user.id, template_id, body)


@router.delete("/{template_id}", status_code=204, responses=errors(401, 404, 422))
async def delete_template(template_id: uuid.UUID, user: TemplateUser, db: Db) -> Response:
    await TemplateService(db).delete(user.id, template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{template_id}/preview",
    response_model=PreviewOut,
    responses=errors(401, 404, 422),
    summary="Render a saved template",
)
async def preview_saved(
    template_id: uuid.UUID, body: PreviewData, user: TemplateUser, db: Db
) -> PreviewOut:
    return await TemplateService(db).preview_saved(user.id, template_id, body.data)
