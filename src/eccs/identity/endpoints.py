"""auth-service HTTP routes: /api/auth/*."""

from __future__ import annotations

import ipaddress
import math
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import BackgroundTasks, Depends, Request, Response, status

from eccs.identity.errors import InvalidCredentials
from eccs.identity.links import AccountLinks
from eccs.identity.schemas import (
    ApiKeyRef,
    ForgotPasswordRequest,
    JwksOut,
    LoginRequest,
    Notice,
    RefreshRequest,
    RegisterRequest,
    RegistrationAccepted,
    ResetPasswordRequest,
    SessionOut,
    TokenRequest,
    UserOut,
    VerifiedOut,
)
from eccs.identity.service import AccountService, Identity, user_out
from eccs.platform.db import Database, transaction
from eccs.platform.dependencies import CurrentUser, Db, Person
from eccs.platform.errors import NotAuthenticated
from eccs.platform.http import api_router, errors
from eccs.platform.metrics import ACCOUNT_EMAILS
from eccs.platform.security import Principal

router = api_router("/api/auth", "auth")
log = structlog.get_logger("eccs.identity")


async def _accounts(request: Request, db: Db) -> AccountService:
    identity: Identity = request.app.state.identity
    return AccountService(db, identity)


Accounts = Annotated[AccountService, Depends(_accounts)]


REGISTERED = (
    "If this address can be used, a message is on its way to it: follow its link to confirm the "
    "address, then sign in."
)


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegistrationAccepted,
    responses=errors(422, 429),
    summary="Create an account; a link to verify the address is emailed",
    description="Answers the same, and takes the same time, whether or not the address has an"
    " account: a new address gets a link to verify it (valid 24 h), an address with an account"
    " gets a notice that someone tried to sign up with it. Tokens come from `/login`; until the"
    " address is verified the account can sign in but not send.",
)
async def register(
    body: RegisterRequest, request: Request, accounts: Accounts, db: Db
) -> RegistrationAccepted:
    # Counted in a transaction of its own: the attempt counts even when the sign-up fails.
    async with transaction(db):
        await accounts.count_sign_up(client_address(request))
    async with transaction(db):
        await accounts.sign_up(body.email, body.password, body.name)
    return RegistrationAccepted(email=body.email, message=REGISTERED)


@router.post(
    "/login",
    response_model=SessionOut,
    responses=errors(401, 422, 429),
    summary="Sign in with email and password",
)
async def login(body: LoginRequest, request: Request, accounts: Accounts, db: Db) -> SessionOut:
    # A failure must count even though the request fails.
    async with transaction(db, commit_on=(InvalidCredentials,)):
        user = await accounts.login(body.email, body.password, client_address(request))
        return await accounts.start_session(user)


@router.post(
    "/verify-email",
    response_model=UserOut,
    responses=errors(422),
    summary="Verify the address with the token of the emailed link",
    description="The token works once, within 24 hours; an invalid, expired or used one is 422"
    " `invalid_link`. No sign-in is needed: the link may be opened anywhere.",
)
async def verify_email(body: TokenRequest, request: Request, db: Db) -> UserOut:
    async with transaction(db):
        return user_out(await _links(request, db).verify(body.token))


@router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Notice,
    responses=errors(401, 403, 409, 429),
    summary="Email a new link to verify the address",
    description="For the signed-in person (not an API key); 409 `already_verified` when there"
    " is nothing to verify, 429 when several emails went to the address lately.",
)
async def resend_verification(person: Person, request: Request, db: Db) -> Notice:
    async with transaction(db):
        links = _links(request, db)
        user = await links.users.by_id(person.id)
        if user is None:
            raise NotAuthenticated("The account of this token no longer exists.")
        await links.resend_verification(user)
    return Notice(message=f"A new link is on its way to {user.email}.")


FORGOT = (
    "If an account has this address, a link to choose a new password is on its way to it. "
    "It works once, for a limited time."
)


@router.post(
    "/password/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Notice,
    responses=errors(422, 429),
    summary="Email a link to choose a new password",
    description="Answers the same, and as fast, whether or not an account has the address: the"
    " link is written after the answer. Throttled per client address (429) and, silently, per"
    " account.",
)
async def forgot_password(
    body: ForgotPasswordRequest, request: Request, db: Db, after: BackgroundTasks
) -> Notice:
    async with transaction(db):
        await _links(request, db).check_reset_request(client_address(request))
    # The account's part (looking the address up, writing a token and an email) runs once the
    # answer has gone: done before it, it made answers for known addresses a few milliseconds
    # slower. Lost only if the process dies in between; asking again sends one.
    after.add_task(_send_reset, request.app.state.database, request.app.state.identity, body.email)
    return Notice(message=FORGOT)


async def _send_reset(database: Database, identity: Identity, email: str) -> None:
    try:
        async with database.transaction() as connection:
            await AccountLinks(connection, identity).send_reset(email)
    except Exception:  # logged here: nobody is left to answer
        ACCOUNT_EMAILS.labels("password_reset", "failed").inc()
        log.exception("password reset link not sent")


@router.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(422),
    summary="Choose a new password with the token of the emailed link",
    description="Every sign-in of the account ends; sign in again with the new password. The"
    " address counts as verified. An invalid, expired or used token is 422 `invalid_link`.",
)
async def reset_password(body: ResetPasswordRequest, request: Request, db: Db) -> Response:
    async with transaction(db):
        await _links(request, db).reset(body.token, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _links(request: Request, db: Db) -> AccountLinks:
    identity: Identity = request.app.state.identity
    return AccountLinks(db, identity)


def client_address(request: Request) -> str:
    """The client's IP address in canonical form, the key of the per-address login throttle.

    Behind a trusted proxy this comes from X-Forwarded-For unchecked; anything that is not an IP
    address (it once reached the database as is: over 320 characters it was a 500) shares one
    bucket, so malformed values can neither crash a login nor spread failures over many keys.
    """
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return "unknown"


@router.post(
    "/refresh",
    response_model=SessionOut,
    responses=errors(401, 422),
    summary="Exchange a refresh token for a new pair (rotation)",
)
async def refresh(body: RefreshRequest, accounts: Accounts, db: Db) -> SessionOut:
    # A detected reuse has revoked the whole sign-in: that must stand.
    async with transaction(db, commit_on=(NotAuthenticated,)):
        return await accounts.refresh(body.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 422),
    summary="End the sign-in this refresh token belongs to",
)
async def logout(body: RefreshRequest, accounts: Accounts, db: Db) -> Response:
    async with transaction(db):
        await accounts.logout(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut, responses=errors(401), summary="The signed-in user")
async def me(user: CurrentUser, accounts: Accounts) -> UserOut:
    return await accounts.me(user.id)


@router.get(
    "/verify",
    response_model=VerifiedOut,
    responses=errors(401),
    summary="Check an access token or an API key (the gateway's forward-auth)",
)
async def verify(user: CurrentUser, response: Response) -> VerifiedOut:
    response.headers["X-User-Id"] = str(user.id)
    response.headers["X-User-Email"] = header_safe_address(user.email)
    response.headers["X-User-Role"] = user.role
    return verified_out(user)


def verified_out(user: Principal) -> VerifiedOut:
    key = user.api_key
    return VerifiedOut(
        id=user.id,
        email=user.email,
        role=user.role,
        name=user.name,
        scopes=sorted(user.scopes) if user.scopes is not None else None,
        api_key=ApiKeyRef(id=key.id, name=key.name) if key else None,
        expires_at=user.expires_at if key and math.isfinite(user.expires_at) else None,
    )


# Every visible ASCII character but "%": percent-encoding only the rest keeps ordinary addresses
# as they are and still decodes (urllib.parse.unquote) to exactly the address.
_VISIBLE_ASCII_BUT_PERCENT = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


def header_safe_address(email: str) -> str:
    """The address for an HTTP header: addresses may be internationalised (SMTPUTF8), but header
    values must be ASCII; raw non-Latin-1 text made /verify answer 500."""
    return quote(email, safe=_VISIBLE_ASCII_BUT_PERCENT)


@router.get("/jwks", response_model=JwksOut, summary="Public keys that verify access tokens")
async def jwks(request: Request, response: Response) -> dict[str, Any]:
    identity: Identity = request.app.state.identity
    response.headers["Cache-Control"] = "public, max-age=300"
    return {"keys": [identity.key.public_jwk]}
