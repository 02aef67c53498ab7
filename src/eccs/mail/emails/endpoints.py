"""email-service HTTP routes: /api/emails/*."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse

from eccs.mail.emails.schemas import (
    Accepted,
    EmailOut,
    EmailPage,
    EmailStats,
    EmailStatus,
    SendRequest,
)
from eccs.mail.emails.service import EmailQueries, EmailService
from eccs.mail.idempotency import IdempotencyStore, StoredResponse, request_fingerprint
from eccs.mail.settings import MailSettings
from eccs.platform.db import DbSession
from eccs.platform.http import errors
from eccs.platform.security import CurrentUser

router = APIRouter(prefix="/api/emails", tags=["emails"])
SEND_ENDPOINT = "POST /api/emails/send"


def _settings(request: Request) -> MailSettings:
    settings: MailSettings = request.app.state.mail_settings
    return settings


Settings = Annotated[MailSettings, Depends(_settings)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Send the same request again safely: the first answer is replayed for 24 h.",
    ),
]


@router.post(
    "/send",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=errors(401, 409, 413, 422, 429),
    summary="Accept an email for delivery",
)
async def send(
    body: SendRequest,
    user: CurrentUser,
    session: DbSession,
    settings: Settings,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    service = EmailService(session, settings)
    if idempotency_key is None:
        accepted = await service.accept(user, body)
        await session.commit()
        return JSONResponse(accepted, status_code=202)
    now = datetime.now(UTC)
    keys = IdempotencyStore(session, timedelta(hours=settings.idempotency_ttl_hours))
    fingerprint = request_fingerprint(body.model_dump(mode="json"))
    stored = await keys.claim(user.id, SEND_ENDPOINT, idempotency_key, fingerprint, now)
    if stored is not None:
        await session.rollback()
        return JSONResponse(stored.body, stored.status, headers={"Idempotent-Replayed": "true"})
    accepted = await service.accept(user, body)
    await keys.record(
        user.id, SEND_ENDPOINT, idempotency_key, fingerprint, StoredResponse(202, accepted), now
    )
    await session.commit()
    return JSONResponse(accepted, status_code=202)


@router.get(
    "", response_model=EmailPage, responses=errors(401, 422), summary="Your emails, newest first"
)
async def list_emails(
    user: CurrentUser,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    status: Annotated[EmailStatus | None, Query()] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Search subject and recipients")
    ] = None,
) -> Any:
    return await EmailQueries(session).page(user, status, q or None, page, page_size)


@router.get(
    "/stats", response_model=EmailStats, responses=errors(401), summary="Counts and series (UTC)"
)
async def stats(user: CurrentUser, session: DbSession) -> Any:
    return await EmailQueries(session).stats(user)


@router.get(
    "/{email_id}", response_model=EmailOut, responses=errors(401, 404, 422), summary="One email"
)
async def read(
    email_id: uuid.UUID, user: CurrentUser, session: DbSession, settings: Settings
) -> Any:
    return await EmailService(session, settings).read(user, email_id)


@router.post(
    "/{email_id}/cancel",
    response_model=EmailOut,
    responses=errors(401, 404, 409, 422),
    summary="Cancel a scheduled email",
)
async def cancel(
    email_id: uuid.UUID, user: CurrentUser, session: DbSession, settings: Settings
) -> Any:
    result = await EmailService(session, settings).cancel(user, email_id)
    await session.commit()
    return result
