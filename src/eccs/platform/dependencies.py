"""What an HTTP request needs, as FastAPI dependencies: its database connection and who is
asking. Only endpoints import this module; services get plain values."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from eccs.platform.db import Connection, Database
from eccs.platform.errors import NotAuthenticated
from eccs.platform.security import Principal, Scope, TokenVerifier


async def _request_connection(request: Request) -> AsyncIterator[Connection]:
    database: Database = request.app.state.database
    async with database.connection() as connection:
        yield connection


Db = Annotated[Connection, Depends(_request_connection, scope="function")]
"""The request's connection, released when the endpoint returns (before the answer is sent)."""


_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from /api/auth/login, or an API key (`eccs_...`, made at "
    "/api/auth/keys) with the scope the endpoint names.",
)


async def _current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated()
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


CurrentUser = Annotated[Principal, Depends(_current_user)]
"""Anyone signed in: a person, or an API key of any scope."""


def _in_scope(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def allowed(user: CurrentUser) -> Principal:
        user.check(scope)
        return user

    return allowed


async def _person(user: CurrentUser) -> Principal:
    user.check_person()
    return user


# Who may call an endpoint: a person signed in, or an API key with the scope named.
Sender = Annotated[Principal, Depends(_in_scope(Scope.EMAILS_SEND))]
Reader = Annotated[Principal, Depends(_in_scope(Scope.EMAILS_READ))]
TemplateUser = Annotated[Principal, Depends(_in_scope(Scope.TEMPLATES))]
ContactUser = Annotated[Principal, Depends(_in_scope(Scope.CONTACTS))]
CurrentAdmin = Annotated[Principal, Depends(_in_scope(Scope.ADMIN))]
Person = Annotated[Principal, Depends(_person)]
"""A person signed in with an access token: managing the account is never an API key's to do."""
