"""email-service HTTP routes: a sender's suppression list (/api/suppressions/*), every sender's for
operators (/api/admin/suppressions), complaints about an email, and the one-click unsubscribe
links emails carry (/api/unsubscribe/*, which need no sign-in: the link is the credential)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Response, status
from fastapi.responses import RedirectResponse

from eccs.contracts.lifecycle import SuppressionReason
from eccs.mail.suppressions.schemas import (
    ComplaintIn,
    ListedSuppressionPage,
    SuppressionIn,
    SuppressionOut,
    SuppressionPage,
    Unsubscribed,
)
from eccs.mail.suppressions.service import SuppressionService
from eccs.platform.addresses import SearchText
from eccs.platform.db import transaction
from eccs.platform.dependencies import CurrentAdmin, Db, SuppressionUser
from eccs.platform.http import api_router, errors

router = api_router("/api/suppressions", "suppressions", scoped=True)
admin_router = api_router("/api/admin/suppressions", "operators", scoped=True)
complaints = api_router("/api/emails", "emails", scoped=True)
unsubscribe_router = api_router("/api/unsubscribe", "unsubscribe")

Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=100)]
Search = Annotated[SearchText | None, Query(max_length=320, description="Text in the address")]
Reason = Annotated[SuppressionReason | None, Query()]
Address = Annotated[str, Path(max_length=320, description="The address (any letter case)")]
# What `secrets.token_urlsafe(32)` makes (email-service's unsubscribe links).
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,100}$")]


@router.get(
    "",
    response_model=SuppressionPage,
    responses=errors(401, 422),
    summary="Your suppression list, newest first",
    description="Addresses your emails are not sent to: their recipients are `suppressed` at"
    " once (and `email.suppressed` is sent), the others delivered.",
)
async def list_suppressions(
    user: SuppressionUser,
    db: Db,
    q: Search = None,
    reason: Reason = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> SuppressionPage:
    return await SuppressionService(db).page(user.id, q or None, reason, page, page_size)


@router.post(
    "",
    status_code=201,
    response_model=SuppressionOut,
    responses=errors(401, 409, 422),
    summary="Put an address on your suppression list",
)
async def add_suppression(body: SuppressionIn, user: SuppressionUser, db: Db) -> SuppressionOut:
    return await SuppressionService(db).add(user.id, user.email, body)


@router.get(
    "/{address:path}",
    response_model=SuppressionOut,
    responses=errors(401, 404, 422),
    summary="Whether an address is on your list, and why",
)
async def read_suppression(address: Address, user: SuppressionUser, db: Db) -> SuppressionOut:
    return await SuppressionService(db).get(user.id, address)


@router.delete(
    "/{address:path}",
    status_code=204,
    responses=errors(401, 404, 422),
    summary="Take an address off your suppression list",
    description="Your emails are sent to it again.",
)
async def remove_suppression(address: Address, user: SuppressionUser, db: Db) -> Response:
    await SuppressionService(db).remove(user.id, address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin_router.get(
    "",
    response_model=ListedSuppressionPage,
    responses=errors(401, 403, 422),
    summary="Every sender's suppressions, newest first",
)
async def list_all_suppressions(
    admin: CurrentAdmin,
    db: Db,
    q: Search = None,
    reason: Reason = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Only this sender's")] = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> ListedSuppressionPage:
    return await SuppressionService(db).everyone(user_id, q or None, reason, page, page_size)


@complaints.post(
    "/{email_id}/complaint",
    status_code=201,
    response_model=SuppressionOut,
    responses=errors(401, 404, 422),
    summary="Report a recipient's complaint about an email",
    description="For complaints you learn of (a mailbox provider's feedback loop, say): the"
    " recipient goes on your suppression list and `email.complained` is sent to your webhooks."
    " Answers the address's suppression.",
)
async def report_complaint(
    email_id: uuid.UUID, body: ComplaintIn, user: SuppressionUser, db: Db
) -> SuppressionOut:
    async with transaction(db):
        return await SuppressionService(db).complaint(user, email_id, body.recipient, body.detail)


@unsubscribe_router.post(
    "/{token}",
    response_model=Unsubscribed,
    responses=errors(404, 422),
    summary="Unsubscribe (RFC 8058 one-click)",
    description="What mail clients POST (`List-Unsubscribe=One-Click`) to the List-Unsubscribe"
    " link of an email sent with `list_unsubscribe`: its recipient goes on its sender's"
    " suppression list. No sign-in: the link is the credential. Doing it again changes nothing.",
)
async def unsubscribe(token: Token, db: Db) -> Unsubscribed:
    async with transaction(db):
        return await SuppressionService(db).unsubscribe(token)


@unsubscribe_router.get(
    "/{token}",
    status_code=303,
    response_class=RedirectResponse,
    summary="Open the unsubscribe page",
    description="A person following the link gets the web app's page, which asks before it"
    " unsubscribes (a link checker that fetches it changes nothing).",
)
async def unsubscribe_page(token: Token) -> RedirectResponse:
    return RedirectResponse(f"/unsubscribe/{token}", status_code=303)
