"""email-service HTTP routes: /api/webhooks/*, a sender's webhook endpoints and what was sent
to them. The requests themselves are made by the dispatcher in notification-service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from eccs.contracts.lifecycle import EventType, WebhookDeliveryStatus
from eccs.platform.db import transaction
from eccs.platform.dependencies import Db, WebhookUser
from eccs.platform.http import api_router, errors
from eccs.webhooks.schemas import (
    DeliveryPage,
    EndpointChange,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EventPage,
    Queued,
    ResendIn,
    SecretRotated,
)
from eccs.webhooks.service import WebhookService

router = api_router("/api/webhooks", "webhooks", scoped=True)

Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=100)]


async def _service(request: Request, db: Db) -> WebhookService:
    state = request.app.state
    return WebhookService(db, state.webhook_destinations, state.webhook_max_endpoints)


Webhooks = Annotated[WebhookService, Depends(_service)]


@router.post(
    "",
    status_code=201,
    response_model=EndpointCreated,
    responses=errors(401, 409, 422),
    summary="Register an endpoint",
    description="Answers its signing secret, this once. Requests to it are signed as the"
    " Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,"
    " `webhook-signature`). Its host must be public (or on a network the operator allowed).",
)
async def create_endpoint(body: EndpointIn, user: WebhookUser, hooks: Webhooks) -> EndpointCreated:
    return await hooks.create(user, body)


@router.get("", response_model=EndpointPage, responses=errors(401, 422), summary="Your endpoints")
async def list_endpoints(
    user: WebhookUser, hooks: Webhooks, page: Page = 1, page_size: PageSize = 20
) -> EndpointPage:
    return await hooks.page(user, page, page_size)


@router.get(
    "/events",
    response_model=EventPage,
    responses=errors(401, 422),
    summary="Events kept for your endpoints, newest first",
)
async def list_events(
    user: WebhookUser,
    hooks: Webhooks,
    page: Page = 1,
    page_size: PageSize = 20,
    type: Annotated[EventType | None, Query(description="Only events of this type")] = None,
    email_id: Annotated[uuid.UUID | None, Query(description="Only events of this email")] = None,
) -> EventPage:
    return await hooks.events(user, type, email_id, page, page_size)


@router.get(
    "/{endpoint_id}", response_model=EndpointOut, responses=errors(401, 404, 422), summary="One"
)
async def read_endpoint(endpoint_id: uuid.UUID, user: WebhookUser, hooks: Webhooks) -> EndpointOut:
    return await hooks.get(user, endpoint_id)


@router.patch(
    "/{endpoint_id}",
    response_model=EndpointOut,
    responses=errors(401, 404, 422),
    summary="Change an endpoint, disable or enable it",
    description="`enabled: false` gives up its waiting deliveries; `enabled: true` clears its"
    " failure record (an endpoint disabled for failing is enabled this way).",
)
async def change_endpoint(
    endpoint_id: uuid.UUID, body: EndpointChange, user: WebhookUser, hooks: Webhooks, db: Db
) -> EndpointOut:
    async with transaction(db):
        return await hooks.change(user, endpoint_id, body)


@router.delete(
    "/{endpoint_id}", status_code=204, responses=errors(401, 404, 422), summary="Delete one"
)
async def delete_endpoint(endpoint_id: uuid.UUID, user: WebhookUser, hooks: Webhooks) -> Response:
    await hooks.delete(user, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=SecretRotated,
    responses=errors(401, 404, 422),
    summary="A new signing secret (the previous one signs too for 24 hours)",
)
async def rotate_secret(
    endpoint_id: uuid.UUID, user: WebhookUser, hooks: Webhooks
) -> SecretRotated:
    return await hooks.rotate(user, endpoint_id)


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=Queued,
    responses=errors(401, 404, 409, 422),
    summary="Send a webhook.test event to this endpoint",
)
async def send_test(endpoint_id: uuid.UUID, user: WebhookUser, hooks: Webhooks) -> Queued:
    return await hooks.test(user, endpoint_id)


@router.post(
    "/{endpoint_id}/resend",
    status_code=202,
    response_model=Queued,
    responses=errors(401, 404, 409, 422),
    summary="Send one of your events to this endpoint again",
    description="A new delivery, due now, with the event's own id (receivers drop what they"
    " already have by its `webhook-id`).",
)
async def resend_event(
    endpoint_id: uuid.UUID, body: ResendIn, user: WebhookUser, hooks: Webhooks
) -> Queued:
    return await hooks.resend(user, endpoint_id, body.event_id)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=DeliveryPage,
    responses=errors(401, 404, 422),
    summary="Deliveries to this endpoint, newest first, each with every attempt",
)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    user: WebhookUser,
    hooks: Webhooks,
    page: Page = 1,
    page_size: PageSize = 20,
    status: Annotated[WebhookDeliveryStatus | None, Query()] = None,
) -> DeliveryPage:
    return await hooks.deliveries(user, endpoint_id, status, page, page_size)
