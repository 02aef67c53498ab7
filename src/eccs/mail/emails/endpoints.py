"""email-service HTTP routes: /api/emails/*."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from eccs.audit.events import AuditStore
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
from eccs.platform.addresses import SearchText
from eccs.platform.db import DbSession
from eccs.platform.http import api_router, errors
from eccs.platform.security import CurrentAdmin, CurrentUser, Principal

router = api_router("/api/emails", "emails")
admin_router = api_router("/api/admin/emails", "operators")
SEND_ENDPOINT = "POST /api/emails/send"
RETRY_ENDPOINT = "POST /api/emails/{id}/retry"


# Dependencies are coroutines: FastAPI runs plain functions in a thread pool, a hop per request.
async def _settings(request: Request) -> MailSettings:
    settings: MailSettings = request.app.state.mail_settings
    return settings


Settings = Annotated[MailSettings, Depends(_settings)]


async def _audit(request: Request) -> AuditStore | None:
    store: AuditStore | None = getattr(request.app.state, "audit", None)
    return store


AuditTrail = Annotated[AuditStore | None, Depends(_audit)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Send the same request again safely: the first answer is replayed for 24 h.",
    ),
]


@dataclass(frozen=True)
class Once:
    """Runs a request's work and answers 202 with its result, at most once per Idempotency-Key
    (the key is recorded in the request's transaction, so only work that happened is replayed)."""

    session: AsyncSession
    settings: MailSettings
    user: Principal
    endpoint: str
    key: str | None

    async def accepted(
        self,
        work: Callable[[], Awaitable[dict[str, Any]]],
        request: Callable[[], dict[str, Any]],
    ) -> JSONResponse:
        if self.key is None:
            answer = await work()
            await self.session.commit()
            return JSONResponse(answer, status_code=202)
        now = datetime.now(UTC)
        keys = IdempotencyStore(self.session, timedelta(hours=self.settings.idempotency_ttl_hours))
        fingerprint = request_fingerprint(request())
        stored = await keys.claim(self.user.id, self.endpoint, self.key, fingerprint, now)
        if stored is not None:
            await self.session.rollback()
            headers = {"Idempotent-Replayed": "true"}
            return JSONResponse(stored.body, stored.status, headers=headers)
        answer = await work()
        response = StoredResponse(202, answer)
        await keys.record(self.user.id, self.endpoint, self.key, fingerprint, response, now)
        await self.session.commit()
        return JSONResponse(answer, status_code=202)


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
    once = Once(session, settings, user, SEND_ENDPOINT, idempotency_key)
    return await once.accepted(
        lambda: service.accept(user, body), lambda: body.model_dump(mode="json")
    )


@router.get(
    "", response_model=EmailPage, responses=errors(401, 422), summary="Your emails, newest first"
)
async def list_emails(
    user: CurrentUser,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    status: Annotated[
        list[EmailStatus] | None,
        Query(description="Only emails in these states (repeat it: `?status=sent&status=failed`)"),
    ] = None,
    q: Annotated[
        SearchText | None, Query(max_length=200, description="Search subject and recipients")
    ] = None,
) -> Any:
    return await EmailQueries(session).page(user, status or [], q or None, page, page_size)


@router.get(
    "/stats", response_model=EmailStats, responses=errors(401), summary="Counts and series (UTC)"
)
async def stats(user: CurrentUser, session: DbSession) -> Any:
    return await EmailQueries(session).stats(user)


@router.get(
    "/{email_id}", response_model=EmailOut, responses=errors(401, 404, 422), summary="One email"
)
async def read(
    email_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    settings: Settings,
    audit: AuditTrail,
) -> Any:
    return await EmailService(session, settings, audit).read(user, email_id)


@router.post(
    "/{email_id}/cancel",
    response_model=EmailOut,
    responses=errors(401, 404, 409, 422),
    summary="Cancel a scheduled or retrying email",
    description="Only `scheduled` and `retrying` emails can be cancelled (else 409 `wrong_state`);"
    " nothing more is sent for a cancelled email.",
)
async def cancel(
    email_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    settings: Settings,
    audit: AuditTrail,
) -> Any:
    result = await EmailService(session, settings, audit).cancel(user, email_id)
    await session.commit()
    return result


@router.post(
    "/{email_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EmailOut,
    responses=errors(401, 404, 409, 422),
    summary="Retry a failed email",
    description="Queues a `failed` email again (else 409 `wrong_state`) with a fresh attempt"
    " budget, for the recipients given up on (attempts exhausted or expired). Refusals (SMTP 5xx)"
    " are final: an email every recipient refused answers 409 `nothing_to_retry`. An expiry"
    " already past is cleared. Answers the email as `GET /api/emails/{id}` does.",
)
async def retry(
    email_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    settings: Settings,
    audit: AuditTrail,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    service = EmailService(session, settings, audit)

    async def retried() -> dict[str, Any]:
        # As JSON, since an idempotency key stores the answer for replay.
        email = await service.retry(user, email_id)
        return EmailOut.model_validate(email, from_attributes=True).model_dump(mode="json")

    once = Once(session, settings, user, RETRY_ENDPOINT, idempotency_key)
    # The email is part of what the key stands for: the same key for another email is a 422.
    return await once.accepted(retried, lambda: {"email_id": str(email_id)})


@admin_router.post(
    "/{email_id}/abandon",
    response_model=EmailOut,
    responses=errors(401, 403, 404, 409, 422),
    summary="Stop any email that is not final, whatever its state",
    description="For operators: the email becomes `cancelled` and nothing more is sent (an"
    " attempt in progress records only its SMTP answers); recipients without an answer are given"
    " up on, and the timeline says who stopped it. A `sent`, `failed` or `cancelled` email"
    " answers 409 `wrong_state`.",
)
async def abandon(
    email_id: uuid.UUID,
    admin: CurrentAdmin,
    session: DbSession,
    settings: Settings,
    audit: AuditTrail,
) -> Any:
    result = await EmailService(session, settings, audit).abandon(email_id, actor=admin.email)
    await session.commit()
    return result
