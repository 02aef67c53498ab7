"""email-service HTTP routes: /api/emails/batches/*, what became of the batches a sender sent
(POST /api/emails/batch, in mail/emails). Included before the emails' routes, whose
/api/emails/{id} would take `batches` for an id."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from eccs.contracts.lifecycle import EmailStatus
from eccs.mail.batches.repository import BatchRepository
from eccs.mail.batches.schemas import BatchOut, BatchPage, BatchSummary
from eccs.mail.errors import BatchNotFound
from eccs.platform.dependencies import Db, Reader
from eccs.platform.http import api_router, errors

router = api_router("/api/emails/batches", "emails", scoped=True)


@router.get(
    "", response_model=BatchPage, responses=errors(401, 422), summary="Your batches, newest first"
)
async def list_batches(
    user: Reader,
    db: Db,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> BatchPage:
    total, rows = await BatchRepository(db).page(user.id, (page - 1) * page_size, page_size)
    items = [BatchSummary(**dict(row)) for row in rows]
    return BatchPage(items=items, total=total, page=page, page_size=page_size)


@router.get(
    "/{batch_id}",
    response_model=BatchOut,
    responses=errors(401, 404, 422),
    summary="One batch: each email's result, and the states of those accepted now",
    description="Its emails are listed by GET /api/emails?batch_id=.",
)
async def read_batch(batch_id: uuid.UUID, user: Reader, db: Db) -> BatchOut:
    batches = BatchRepository(db)
    row = await batches.get(user.id, batch_id)
    if row is None:
        raise BatchNotFound()
    by_status = dict.fromkeys(EmailStatus, 0)
    counted = await batches.statuses(user.id, batch_id)
    by_status.update({EmailStatus(state): n for state, n in counted.items()})
    return BatchOut(**dict(row), by_status=by_status)
