"""auth-service HTTP routes: /api/auth/*."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response, status

from eccs.identity.errors import InvalidCredentials
from eccs.identity.schemas import (
    JwksOut,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    SessionOut,
    UserOut,
    VerifiedOut,
)
from eccs.identity.service import AccountService, Identity
from eccs.platform.db import transaction
from eccs.platform.dependencies import CurrentUser, Db
from eccs.platform.errors import NotAuthenticated
from eccs.platform.http import api_router, errors

router = api_router("/api/auth", "auth")


async def _accounts(request: Request, db: Db) -> AccountService:
    identity: Identity = request.app.state.identity
    return AccountService(db, identity)


Accounts = Annotated[AccountService, Depends(_accounts)]


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionOut,
    responses=errors(409, 422, 429),
    summary="Create an account and sign in",
)
async def register(
    body: RegisterRequest, request: Request, accounts: Accounts, db: Db
) -> SessionOut:
    # Counted on its own: the attempt counts even when the sign-up fails.
    await accounts.count_sign_up(_client_address(request))
    async with transaction(db):
        user = await accounts.register(body.email, body.password, body.name)
        return await accounts.start_session(user)


@router.post(
    "/login",
    response_model=SessionOut,
    responses=errors(401, 422, 429),
    summary="Sign in with email and password",
)
async def login(body: LoginRequest, request: Request, accounts: Accounts, db: Db) -> SessionOut:
    # A failure must count even though the request fails.
    async with transaction(db, commit_on=(InvalidCredentials,)):
        user = await accounts.login(body.email, body.password, _client_address(request))
        return await accounts.start_session(user)


def _client_address(request: Request) -> str:
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
    summary="Check an access token (for the gateway's forward-auth)",
)
async def verify(user: CurrentUser, response: Response) -> VerifiedOut:
    response.headers["X-User-Id"] = str(user.id)
    response.headers["X-User-Email"] = header_safe_address(user.email)
    response.headers["X-User-Role"] = user.role
    return VerifiedOut(id=user.id, email=user.email, role=user.role)


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
