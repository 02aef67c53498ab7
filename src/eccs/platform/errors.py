"""Errors are data: each carries a stable code and an HTTP status, and one handler renders them.

Domains subclass these; services raise them without knowing about HTTP. The shape on the wire is
`{"error": {"code", "message", "fields": [{"field", "message"}]}}` everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel


class Degraded(Exception):
    """A readiness check's answer when a part works, but not well (the message says how)."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class FieldError(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorBody(BaseModel):
    """The one error shape every ECCS endpoint answers with."""

    error: ErrorDetail


class AppError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = "The request cannot be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.fields = fields or []
        self.headers = headers or {}
        super().__init__(self.message)

    def detail(self, field_prefix: str = "") -> ErrorDetail:
        """The error as its answer says it, each field named after `field_prefix`."""
        fields = [FieldError(field=field_prefix + f.field, message=f.message) for f in self.fields]
        return ErrorDetail(code=self.code, message=self.message, fields=fields)


class InvalidInput(AppError):
    status_code = 422
    code = "validation_error"
    default_message = "Some fields are not valid."

    @classmethod
    def on(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", fields=[FieldProblem(field, message)])


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    default_message = "A valid access token is required."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_message = "Nothing was found here."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "This conflicts with the current state."


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(message, headers={"Retry-After": str(self.retry_after)})
