from __future__ import annotations

from eccs.platform.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email address already exists."


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = "The email address or password is wrong."


class InvalidRefreshToken(NotAuthenticated):
    code = "invalid_refresh_token"
    default_message = "The refresh token is invalid, expired or revoked; sign in again."


class RefreshTokenReused(NotAuthenticated):
    code = "refresh_token_reused"
    default_message = (
        "This refresh token was already used; every session from this sign-in was ended. "
        "Sign in again."
    )


class LoginThrottled(TooManyRequests):
    code = "login_throttled"
    default_message = "Too many failed sign-ins; wait before trying again."


class RegistrationThrottled(TooManyRequests):
    code = "registration_throttled"
    default_message = "Too many sign-ups from this address; wait before trying again."


class PasswordResetThrottled(TooManyRequests):
    code = "password_reset_throttled"
    default_message = (
        "Too many password-reset requests from this address; wait before trying again."
    )


class AccountEmailThrottled(TooManyRequests):
    code = "account_email_throttled"
    default_message = "Several emails were sent to this address lately; wait before asking again."


class InvalidLink(InvalidInput):
    code = "invalid_link"

    def __init__(self) -> None:
        super().__init__(
            "This link is invalid, expired or already used; ask for a new one.",
            fields=[FieldProblem("token", "is invalid, expired or already used")],
        )


class AlreadyVerified(Conflict):
    code = "already_verified"
    default_message = "This address is verified already."


class WrongPassword(InvalidInput):
    """The current password, asked for again before a change that matters, is wrong."""

    code = "wrong_password"

    def __init__(self, field: str) -> None:
        problem = "is not your current password"
        super().__init__(f"{field}: {problem}", fields=[FieldProblem(field, problem)])


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    default_message = "No such API key (it may have been revoked already)."


class ScopeNotAllowed(Forbidden):
    code = "scope_not_allowed"
    default_message = "Only administrators may give a key the admin scope."
