"""The alert relay's one route: Alertmanager's webhook."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from eccs.alerting.mailer import AlertMailer, EccsUnavailable, Notification
from eccs.platform.http import error_response, errors

router = APIRouter(tags=["alerts"])


@router.post(
    "/alertmanager",
    status_code=202,
    responses=errors(401, 503),
    summary="Mail one Alertmanager notification through ECCS",
)
async def alertmanager(
    notification: Notification, request: Request, authorization: str = Header(default="")
) -> JSONResponse:
    expected = f"Bearer {request.app.state.relay_token}"
    if not hmac.compare_digest(authorization.encode(), expected.encode()):
        return error_response(401, "not_authenticated", "The relay's token is required.")
    mailer: AlertMailer = request.app.state.mailer
    try:
        email_id = await mailer.send(notification)
    except (EccsUnavailable, OSError) as exc:  # Alertmanager retries a failed notification
        return error_response(503, "eccs_unavailable", str(exc))
    return JSONResponse({"id": email_id}, status_code=202)
