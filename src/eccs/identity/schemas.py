"""What auth-service takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from eccs.platform.addresses import EmailAddress, Text, check_header_safe
from eccs.platform.schemas import Moment, RequestBody
from eccs.platform.security import Scope

# The constraints come first so the length is checked after stripping: wrapped around
# HeaderText, pydantic checked min_length on the raw value and let a name of only spaces through
# as "". The line-break check then runs on the stripped name.
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_header_safe),
]


Password = Annotated[Text, StringConstraints(max_length=1000)]
# A link's token, `<id>.<secret>` (identity/tokens.py); anything else is simply not a valid link.
LinkToken = Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class RegisterRequest(RequestBody):
    email: EmailAddress
    password: Password
    name: DisplayName


class Notice(BaseModel):
    """An answer that says what happens next, the same whatever the request was about."""

    message: str


class RegistrationAccepted(Notice):
    email: str


class TokenRequest(RequestBody):
    token: LinkToken


class ForgotPasswordRequest(RequestBody):
    email: EmailAddress


class ResetPasswordRequest(RequestBody):
    token: LinkToken
    password: Password


class ChangePasswordRequest(RequestBody):
    current_password: Annotated[Text, StringConstraints(min_length=1, max_length=1000)]
    new_password: Password


class ProfileUpdate(RequestBody):
    name: DisplayName


class DeleteAccountRequest(RequestBody):
    password: Annotated[Text, StringConstraints(min_length=1, max_length=1000)]


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
    email_verified: bool = Field(
        description="Whether the owner followed the link emailed to the address; until then "
        "the account can sign in but not send."
    )


class SessionOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int
    user: UserOut


class ApiKeyRef(BaseModel):
    id: uuid.UUID
    name: str


class VerifiedOut(BaseModel):
    """Who the credential is: a person (no scopes: all their role allows) or an API key."""

    id: uuid.UUID
    email: str
    role: str
    name: str
    scopes: list[Scope] | None = None
    api_key: ApiKeyRef | None = None
    expires_at: float | None = Field(
        default=None, description="When the credential expires (epoch seconds); none: never."
    )


KeyName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(check_header_safe),
]


class ApiKeyIn(RequestBody):
    name: KeyName
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    expires_at: Moment | None = None


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it by.")
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When the key was last checked (to within about half a minute)."
    )


class CreatedApiKeyOut(ApiKeyOut):
    key: str = Field(description="The key itself: shown this once, never again.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class Jwk(BaseModel, extra="allow"):
    kty: str
    kid: str
    alg: str
    use: str


class JwksOut(BaseModel):
    keys: list[Jwk]
