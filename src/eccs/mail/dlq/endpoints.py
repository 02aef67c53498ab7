"""email-service HTTP routes for operators: /api/admin/dlq/* (admin role only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from eccs.contracts.lifecycle import FailureReason
from eccs.mail.dlq.repository import DeadLetterFilter
from eccs.mail.dlq.schemas import DeadLetterPage, ReplayRequest, ReplayResult
from eccs.mail.dlq.service import DeadLetterService
from eccs.mail.outbox.wake import WAKES_THE_RELAY
from eccs.platform.db import transaction
from eccs.platform.dependencies import CurrentAdmin, Db
from eccs.platform.http import api_router, errors
from eccs.platform.schemas import Moment

router = api_router("/api/admin/dlq", "operators", scoped=True)


@router.get(
    "",
    response_model=DeadLetterPage,
    responses=errors(401, 403, 422),
    summary="Dead-lettered emails, the latest failure first",
    description="Emails whose delivery was given up (status `failed`), with each recipient's"
    " last SMTP answer; filtered by failure reason and by when they failed"
    " (`since` ≤ failed_at < `until`).",
)
async def list_dead_letters(
    admin: CurrentAdmin,
    db: Db,
    reason: Annotated[FailureReason | None, Query()] = None,
    since: Annotated[Moment | None, Query(description="Failed at or after this")] = None,
    until: Annotated[Moment | None, Query(description="Failed before this")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DeadLetterPage:
    matching = DeadLetterFilter(reason, since, until)
    return await DeadLetterService(db).page(matching, page, page_size)


@router.post(
    "/replay",
    dependencies=[WAKES_THE_RELAY],
    response_model=ReplayResult,
    responses=errors(401, 403, 422),
    summary="Re-queue dead-lettered emails",
    description="Queues at most `limit` matching failed emails again, the oldest failure first,"
    " each with a fresh attempt budget, as an owner's retry does. Concurrent replays never take"
    " the same email, and replaying again re-queues nothing already re-queued.",
)
async def replay(body: ReplayRequest, admin: CurrentAdmin, db: Db) -> ReplayResult:
    matching = DeadLetterFilter(body.reason, body.since, body.until)
    async with transaction(db):
        return await DeadLetterService(db).replay(
            matching, body.limit, body.rate_per_second, actor=admin.email
        )
