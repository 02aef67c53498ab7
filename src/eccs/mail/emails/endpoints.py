"""email-service HTTP routes: /api/emails/* and the operators' /api/admin/emails/*."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema

from eccs.audit.events import AuditStore
from eccs.contracts.account_mail import ACCOUNT_MAIL_SENDER
from eccs.contracts.lifecycle import EmailStatus
from eccs.mail.emails.queries import EmailQueries
from eccs.mail.emails.schemas import (
    Accepted,
    BatchAccepted,
    EmailOut,
    EmailPage,
    EmailStats,
    SendRequest,
)
from eccs.mail.emails.sending import Sending, SharedSends
from eccs.mail.emails.service import EmailService
from eccs.mail.idempotency import IdempotencyStore, StoredResponse, request_fingerprint
from eccs.mail.outbox.wake import WAKES_THE_RELAY
from eccs.mail.settings import MailSettings
from eccs.platform.addresses import SearchText
from eccs.platform.db import Connection, Database, transaction
from eccs.platform.dependencies import CurrentAdmin, Db, Reader, Sender
from eccs.platform.errors import ErrorDetail, FieldError
from eccs.platform.http import api_router, errors, validation_problem
from eccs.platform.security import Principal

router = api_router("/api/emails", "emails", scoped=True)
admin_router = api_router("/api/admin/emails", "operators", scoped=True)
account_mail_router = api_router("/api/admin/account-emails", "operators", scoped=True)
SEND_ENDPOINT = "POST /api/emails/send"
BATCH_ENDPOINT = "POST /api/emails/batch"
RETRY_ENDPOINT = "POST /api/emails/{id}/retry"
BATCH_LIMIT = 100


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
    (the key is recorded in the work's transaction, so only work that happened is replayed)."""

    db: Connection
    settings: MailSettings
    user: Principal
    endpoint: str
    key: str | None

    async def accepted(
        self, work: Callable[[], Awaitable[BaseModel]], request: Callable[[], dict[str, Any]]
    ) -> Response:
        if self.key is None:
            return _answer_202(await work())
        now = datetime.now(UTC)
        keys = IdempotencyStore(self.db, timedelta(hours=self.settings.idempotency_ttl_hours))
        fingerprint = request_fingerprint(request())
        async with transaction(self.db):
            stored = await keys.claim(self.user.id, self.endpoint, self.key, fingerprint, now)
            if stored is not None:
                headers = {"Idempotent-Replayed": "true"}
                return JSONResponse(stored.body, stored.status, headers=headers)
            answer = await work()
            body = answer.model_dump(mode="json")
            await keys.record(
                self.user.id, self.endpoint, self.key, fingerprint, StoredResponse(202, body), now
            )
        return JSONResponse(body, status_code=202)


def _answer_202(answer: BaseModel) -> Response:
    return Response(answer.model_dump_json(), status_code=202, media_type="application/json")


@router.post(
    "/send",
    dependencies=[WAKES_THE_RELAY],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=errors(401, 409, 413, 422, 429),
    summary="Accept an email for delivery",
)
async def send(
    body: SendRequest,
    user: Sender,
    request: Request,
    settings: Settings,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    if idempotency_key is None:
        # Written with the same sender's other sends in flight, by one statement.
        shared: SharedSends = request.app.state.shared_sends
        return _answer_202(await shared.accept(user, body))
    database: Database = request.app.state.database
    async with database.connection() as db:
        # The key and the email are written in one transaction.
        once = Once(db, settings, user, SEND_ENDPOINT, idempotency_key)
        sending = Sending(db, settings)
        return await once.accepted(
            lambda: sending.accept(user, body), lambda: body.model_dump(mode="json")
        )


# Each email of a batch is read on its own (one bad email does not refuse the others); the
# document still describes each as a send request.
BatchItems = Annotated[
    list[Annotated[Any, WithJsonSchema({"$ref": "#/components/schemas/SendRequest"})]],
    Field(min_length=1, max_length=BATCH_LIMIT),
    Body(description=f"Up to {BATCH_LIMIT} emails, each as POST /api/emails/send takes it."),
]


@router.post(
    "/batch",
    dependencies=[WAKES_THE_RELAY],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    responses=errors(401, 409, 413, 422, 429),
    summary="Accept up to 100 emails at once",
    description="Each email is checked on its own and the valid ones accepted, in the order"
    " given, as far as the hourly quota allows (each email counts); `results` answers each one"
    " by its index, with the accepted email or its error (fields named `[index].field`)."
    " Nothing accepted: 429 when the quota refused some, else 422 naming every problem. With"
    " an Idempotency-Key, the same batch again replays the first answer.",
)
async def send_batch(
    body: BatchItems,
    user: Sender,
    db: Db,
    settings: Settings,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    items = [_read(index, item) for index, item in enumerate(body)]
    sending = Sending(db, settings)

    async def accepted() -> BatchAccepted:
        async with transaction(db):  # the emails and the batch's record (a savepoint in Once)
            return await sending.accept_batch(user, items)

    once = Once(db, settings, user, BATCH_ENDPOINT, idempotency_key)
    return await once.accepted(accepted, lambda: {"emails": body})


def _read(index: int, item: Any) -> SendRequest | ErrorDetail:
    """One email of a batch as a send request, or why it is not one."""
    try:
        return SendRequest.model_validate(item)
    except ValidationError as exc:
        problems = [validation_problem(error) for error in exc.errors()]
        fields = [
            FieldError(field=f"[{index}]" + ("" if p.field == "body" else f".{p.field}"),
                       message=p.message)
            for p in problems
        ]  # fmt: skip
        summary = "; ".join(f"{f.field}: {f.message}" for f in fields[:3])
        return ErrorDetail(code="validation_error", message=summary, fields=fields)


@dataclass(frozen=True)
class ListQuery:
    """What a list of emails may be narrowed to, from the query string."""

    page: Annotated[int, Query(ge=1, le=100_000)] = 1
    page_size: Annotated[int, Query(ge=1, le=100)] = 20
    status: Annotated[
        list[EmailStatus] | None,
        Query(description="Only emails in these states (repeat it: `?status=sent&status=failed`)"),
    ] = None
    q: Annotated[
        SearchText | None, Query(max_length=200, description="Search subject and recipients")
    ] = None
    batch_id: Annotated[uuid.UUID | None, Query(description="Only this batch's emails")] = None

    async def page_of(self, db: Connection, user_id: uuid.UUID) -> Response:
        # Written as it comes from the database; a test holds the answer to `EmailPage`.
        queries = EmailQueries(db)
        page = await queries.page(
            user_id, self.status or [], self.q or None, self.page, self.page_size, self.batch_id
        )
        return Response(page, media_type="application/json")


Listing = Annotated[ListQuery, Depends()]


@router.get(
    "", response_model=EmailPage, responses=errors(401, 422), summary="Your emails, newest first"
)
async def list_emails(user: Reader, db: Db, listing: Listing) -> Response:
    return await listing.page_of(db, user.id)


@router.get(
    "/stats", response_model=EmailStats, responses=errors(401), summary="Counts and series (UTC)"
)
async def stats(user: Reader, db: Db) -> EmailStats:
    return await EmailQueries(db).stats(user)


@router.get(
    "/{email_id}", response_model=EmailOut, responses=errors(401, 404, 422), summary="One email"
)
async def read(email_id: uuid.UUID, user: Reader, db: Db, audit: AuditTrail) -> EmailOut:
    return await EmailService(db, audit).read(user, email_id)


@router.post(
    "/{email_id}/cancel",
    response_model=EmailOut,
    responses=errors(401, 404, 409, 422),
    summary="Cancel a scheduled or retrying email",
    description="Only `scheduled` and `retrying` emails can be cancelled (else 409 `wrong_state`);"
    " nothing more is sent for a cancelled email.",
)
async def cancel(email_id: uuid.UUID, user: Sender, db: Db, audit: AuditTrail) -> EmailOut:
    async with transaction(db):
        return await EmailService(db, audit).cancel(user, email_id)


@router.post(
    "/{email_id}/retry",
    dependencies=[WAKES_THE_RELAY],
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
    user: Sender,
    db: Db,
    settings: Settings,
    audit: AuditTrail,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    service = EmailService(db, audit)

    async def retried() -> EmailOut:
        async with transaction(db):  # inside the key's transaction, a savepoint
            return await service.retry(user, email_id)

    once = Once(db, settings, user, RETRY_ENDPOINT, idempotency_key)
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
async def abandon(email_id: uuid.UUID, admin: CurrentAdmin, db: Db, audit: AuditTrail) -> EmailOut:
    async with transaction(db):
        return await EmailService(db, audit).abandon(email_id, actor=admin.email)


@admin_router.get(
    "/{email_id}",
    response_model=EmailOut,
    responses=errors(401, 403, 404, 422),
    summary="Any email, with its timeline",
    description="For operators: whoever sent it, ECCS itself included (account emails).",
)
async def read_any(email_id: uuid.UUID, admin: CurrentAdmin, db: Db, audit: AuditTrail) -> EmailOut:
    return await EmailService(db, audit).read(None, email_id)


@account_mail_router.get(
    "",
    response_model=EmailPage,
    responses=errors(401, 403, 422),
    summary="The emails ECCS sent about accounts, newest first",
    description="Address verifications, notices of sign-ups with a taken address, password"
    " resets: each has a timeline at `GET /api/admin/emails/{id}`. `q` finds an address.",
)
async def list_account_emails(admin: CurrentAdmin, db: Db, listing: Listing) -> Response:
    return await listing.page_of(db, ACCOUNT_MAIL_SENDER)
