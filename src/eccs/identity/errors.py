from __future__ import annotations

from eccs.platform.errors import Conflict, NotAuthenticated, TooManyRequests


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
