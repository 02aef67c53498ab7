"""What an HTTP request needs, as FastAPI dependencies: its database connection and who is
asking. Only endpoints import this module; services get plain values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from eccs.platform.db import Connection, Database
from eccs.platform.errors import NotAuthenticated
from eccs.platform.security import Principal, Scope, TokenVerifier


async def _request_connection(request: Request) -> AsyncIterator[Connection]:
    database: Database = request.app.state.database
    async with database.connection() as connection:
        yield connection


Db = Annotated[Connection, Depends(_request_connection, scope="function")]
"""The request's connection, released when the endpoint returns (before the answer is sent)."""


class _Caller(HTTPBearer):
    """Who is asking, from the request's bearer credentials (an access token or an API key),
    checked against what the endpoint needs: one dependency, where reading the header,
    verifying it and checking the scope as three would cost every request a third of its
    framework time. As an HTTPBearer it is the API document's security scheme."""

    def __init__(self, scope: Scope | None = None, *, person: bool = False) -> None:
        super().__init__(
            auto_error=False,
            scheme_name="HTTPBearer",
            description="An access token from /api/auth/login, or an API key (`eccs_...`, made"
            " at /api/auth/keys) with the scope the endpoint names.",
        )
        self.needed = scope
        self.person = person

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise NotAuthenticated()
        verifier: TokenVerifier = request.app.state.token_verifier
        user = await verifier.verify(credentials.credentials)
        if self.needed is not None:
            user.check(self.needed)
        if self.person:
            user.check_person()
        return user


CurrentUser = Annotated[Principal, Depends(_Caller())]
"""Anyone signed in: a person, or an API key of any scope."""
# Who may call an endpoint: a person signed in, or an API key with the scope named.
Sender = Annotated[Principal, Depends(_Caller(Scope.EMAILS_SEND))]
Reader = Annotated[Principal, Depends(_Caller(Scope.EMAILS_READ))]
TemplateUser = Annotated[Principal, Depends(_Caller(Scope.TEMPLATES))]
ContactUser = Annotated[Principal, Depends(_Caller(Scope.CONTACTS))]
SuppressionUser = Annotated[Principal, Depends(_Caller(Scope.SUPPRESSIONS))]
WebhookUser = Annotated[Principal, Depends(_Caller(Scope.WEBHOOKS))]
CurrentAdmin = Annotated[Principal, Depends(_Caller(Scope.ADMIN))]
Person = Annotated[Principal, Depends(_Caller(person=True))]
"""A person signed in with an access token: managing the account is never an API key's to do."""
