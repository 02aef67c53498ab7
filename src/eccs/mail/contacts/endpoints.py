"""email-service HTTP routes: /api/contacts/*. Every write is one statement, committed by
itself."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from eccs.mail.contacts.schemas import ContactIn, ContactOut, ContactPage
from eccs.mail.contacts.service import ContactService
from eccs.platform.addresses import SearchText
from eccs.platform.dependencies import ContactUser, Db
from eccs.platform.http import api_router, errors

router = api_router("/api/contacts", "contacts", scoped=True)


@router.post("", status_code=201, response_model=ContactOut, responses=errors(401, 409, 422))
async def create_contact(body: ContactIn, user: ContactUser, db: Db) -> ContactOut:
    return await ContactService(db).create(user.id, body)


@router.get(
    "", response_model=ContactPage, responses=errors(401, 422), summary="List or search contacts"
)
async def list_contacts(
    user: ContactUser,
    db: Db,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    q: Annotated[
        SearchText | None, Query(max_length=320, description="Address or name prefix")
    ] = None,
) -> ContactPage:
    return await ContactService(db).page(user.id, q, page, page_size)


@router.get("/{contact_id}", response_model=ContactOut, responses=errors(401, 404, 422))
async def read_contact(contact_id: uuid.UUID, user: ContactUser, db: Db) -> ContactOut:
    return await ContactService(db).get(user.id, contact_id)


@router.put("/{contact_id}", response_model=ContactOut, responses=errors(401, 404, 409, 422))
async def update_contact(
    contact_id: uuid.UUID, body: ContactIn, user: ContactUser, db: Db
) -> ContactOut:
    return await ContactService(db).update(user.id, contact_id, body)


@router.delete("/{contact_id}", status_code=204, responses=errors(401, 404, 422))
async def delete_contact(contact_id: uuid.UUID, user: ContactUser, db: Db) -> Response:
    await ContactService(db).delete(user.id, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
