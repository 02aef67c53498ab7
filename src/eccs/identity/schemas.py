"""What auth-service takes and answers."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, StringConstraints

from eccs.platform.addresses import EmailAddress, Text, check_header_safe
from eccs.platform.schemas import RequestBody

# The constraints come first so the length is checked after stripping: wrapped around
# HeaderText, pydantic checked min_length on the raw value and let a name of only spaces through
# as "". The line-break check then runs on the stripped name.
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_header_safe),
]


class RegisterRequest(RequestBody):
    email: EmailAddress
    password: Annotated[Text, StringConstraints(max_length=1000)]
    name: DisplayName


class LoginRequest(RequestBody):
    email: Annotated[Text, StringConstraints(min_length=1, max_length=320)]
    password: Annotated[Text, StringConstraints(min_length=1, max_length=1000)]


class RefreshRequest(RequestBody):
    refresh_token: Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Literal["user", "admin"]


class SessionOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int
    user: UserOut


class VerifiedOut(BaseModel):
    id: uuid.UUID
    email: str
    role: str


class Jwk(BaseModel, extra="allow"):
    kty: str
    kid: str
    alg: str
    use: str


class JwksOut(BaseModel):
    keys: list[Jwk]
