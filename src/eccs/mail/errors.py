from __future__ import annotations

from eccs.platform.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)


class EmailNotFound(NotFound):
    code = "email_not_found"
    default_message = "No such email."


class WrongEmailState(Conflict):
    code = "wrong_state"


class NothingToRetry(Conflict):
    code = "nothing_to_retry"
    default_message = (
        "Every recipient refused this email permanently (SMTP 5xx); it is not sent again."
        " Send a new email if the addresses have been fixed."
    )


class QuotaExceeded(TooManyRequests):
    code = "send_quota_exceeded"
    default_message = "The hourly send quota is used up."


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class IdempotencyMismatch(InvalidInput):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was used with a different request body."


class AddressUnverified(Forbidden):
    code = "address_unverified"
    default_message = (
        "Verify your email address before sending: follow the link emailed to you when you"
        " signed up, or ask for a new one (POST /api/auth/verify-email/resend)."
    )


class SenderGone(NotAuthenticated):
    code = "sender_gone"

    def __init__(self) -> None:
        super().__init__("This account was deleted, or this API key revoked or expired.")


class BatchRefused(InvalidInput):
    code = "batch_refused"
    default_message = (
        "No email of the batch could be accepted; `fields` names each problem as [index].field."
    )


class BatchNotFound(NotFound):
    code = "batch_not_found"
    default_message = "No such batch."
