"""auth-service HTTP routes for a person's own account: password, name, deletion, API keys.

Every route here needs the person signed in (an access token): an API key never manages the
account it belongs to (403 `person_required`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response, status

from eccs.identity.endpoints import client_address
from eccs.identity.errors import LoginThrottled, WrongPassword
from eccs.identity.keys import ApiKeys, KeyHasher
from eccs.identity.profile import Profile
from eccs.identity.schemas import (
    ApiKeyIn,
    ApiKeyList,
    ChangePasswordRequest,
    CreatedApiKeyOut,
    DeleteAccountRequest,
    ProfileUpdate,
    SessionOut,
)
from eccs.identity.service import AccountService, Identity
from eccs.platform.db import transaction
from eccs.platform.dependencies import Db, Person
from eccs.platform.http import api_router, errors

router = api_router("/api/auth", "account")


async def _profile(request: Request, db: Db) -> Profile:
    identity: Identity = request.app.state.identity
    return Profile(AccountService(db, identity))


async def _keys(request: Request, db: Db) -> ApiKeys:
    hasher: KeyHasher = request.app.state.key_hasher
    return ApiKeys(db, hasher)


Profiles = Annotated[Profile, Depends(_profile)]
Keys = Annotated[ApiKeys, Depends(_keys)]
# A wrong current password counts as a failed sign-in: that must be kept even though it fails.
_COUNTED = (WrongPassword, LoginThrottled)


@router.post(
    "/password",
    response_model=SessionOut,
    responses=errors(401, 403, 422, 429),
    summary="Change the password (the current one is needed)",
    description="Every other sign-in ends; the answer is a new one for this client. A wrong"
    " current password is 422 `wrong_password` and counts as a failed sign-in.",
)
async def change_password(
    body: ChangePasswordRequest, person: Person, request: Request, profile: Profiles, db: Db
) -> SessionOut:
    address = client_address(request)
    async with transaction(db, commit_on=_COUNTED):
        return await profile.change_password(
            person, body.current_password, body.new_password, address
        )


@router.patch(
    "/me",
    response_model=SessionOut,
    responses=errors(401, 403, 422),
    summary="Change the display name",
    description="Every other sign-in ends; the answer is a new one for this client, whose"
    " access token carries the new name.",
)
async def change_name(body: ProfileUpdate, person: Person, profile: Profiles, db: Db) -> SessionOut:
    async with transaction(db):
        return await profile.change_name(person, body.name)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 422, 429),
    summary="Delete the account (the password is needed)",
    description="The account, its sign-ins and API keys go at once; its emails (those not yet"
    " delivered are cancelled), templates and contacts are erased within moments, and the"
    " audit trail keeps only an anonymised record of the deliveries.",
)
async def delete_account(
    body: DeleteAccountRequest, person: Person, request: Request, profile: Profiles, db: Db
) -> Response:
    async with transaction(db, commit_on=_COUNTED):
        await profile.delete(person, body.password, client_address(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/keys",
    response_model=ApiKeyList,
    responses=errors(401, 403),
    summary="Your API keys (never the keys themselves)",
)
async def list_keys(person: Person, keys: Keys) -> ApiKeyList:
    return ApiKeyList(items=await keys.list(person))


@router.post(
    "/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedApiKeyOut,
    responses=errors(401, 403, 422),
    summary="Make an API key for a program",
    description="The answer holds the key itself, shown this once: ECCS keeps only a hash."
    " Programs send it as `Authorization: Bearer eccs_...`. Scopes: `emails:send` (send, retry,"
    " cancel), `emails:read`, `templates`, `contacts`, `suppressions`, `webhooks`, and `admin`"
    " for administrators' keys.",
)
async def create_key(body: ApiKeyIn, person: Person, keys: Keys) -> CreatedApiKeyOut:
    return await keys.create(person, body)


@router.delete(
    "/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 404, 422),
    summary="Revoke an API key",
    description="Every service refuses the key from the moment this answers.",
)
async def revoke_key(key_id: uuid.UUID, person: Person, keys: Keys, db: Db) -> Response:
    async with transaction(db):
        await keys.revoke(person, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
