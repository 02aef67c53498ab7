"""What an HTTP request needs, as FastAPI dependencies: its database connection and who is
asking. Only endpoints import this module; services get plain values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from eccs.platform.db import Connection, Database
from eccs.platform.errors import Forbidden, NotAuthenticated
from eccs.platform.security import Principal, TokenVerifier


async def _request_connection(request: Request) -> AsyncIterator[Connection]:
    database: Database = request.app.state.database
    async with database.connection() as connection:
        yield connection


Db = Annotated[Connection, Depends(_request_connection, scope="function")]
"""The request's connection, released when the endpoint returns (before the answer is sent)."""


_bearer = HTTPBearer(auto_error=False, description="An access token from /api/auth/login.")


async def _current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated()
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


CurrentUser = Annotated[Principal, Depends(_current_user)]


async def _current_admin(user: CurrentUser) -> Principal:
    if not user.is_admin:
        raise Forbidden("This needs the admin role.")
    return user


CurrentAdmin = Annotated[Principal, Depends(_current_admin)]
