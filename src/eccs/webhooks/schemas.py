"""What the webhook API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from eccs.contracts.lifecycle import SUBSCRIBABLE_EVENTS, EventType, WebhookDeliveryStatus
from eccs.contracts.webhook_events import Event
from eccs.platform.addresses import HeaderText
from eccs.platform.schemas import RequestBody
from eccs.webhooks.destinations import url_problem


def _receiver_url(value: str) -> str:
    value = value.strip()
    if (problem := url_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _subscribable(value: list[EventType]) -> list[EventType]:
    if not_allowed := [event for event in value if event not in SUBSCRIBABLE_EVENTS]:
        raise ValueError(f"{not_allowed[0]} is sent on request only, not subscribed to")
    return list(dict.fromkeys(value))  # once each, in the order given


ReceiverUrl = Annotated[str, AfterValidator(_receiver_url)]
Events = Annotated[list[EventType], Field(min_length=1), AfterValidator(_subscribable)]
Description = Annotated[HeaderText, StringConstraints(max_length=200)]


class EndpointIn(RequestBody):
    url: ReceiverUrl = Field(description="Where events are POSTed: https:// (or http://).")
    events: Events = Field(description="The event types it receives.")
    description: Description | None = None


class EndpointChange(RequestBody):
    """Only the fields given change; `enabled: true` also clears its failure record."""

    url: ReceiverUrl | None = None
    events: Events | None = None
    description: Description | None = None
    enabled: bool | None = None


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    events: list[EventType]
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: Literal["owner", "failing"] | None = Field(
        description="owner: you disabled it; failing: every attempt failed for too long."
    )
    failing_since: datetime | None = Field(description="Every attempt has failed since then.")
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation, the previous secret signs too until then."
    )
    created_at: datetime
    updated_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret. Shown once: keep it now.")


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret. Shown once: keep it now.")
    previous_secret_expires_at: datetime


class EndpointPage(BaseModel):
    items: list[EndpointOut]
    total: int
    page: int
    page_size: int


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None = Field(description="None: no answer (see `error`).")
    latency_ms: float | None
    response_excerpt: str | None = Field(description="The start of the answer's body.")
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    event_id: uuid.UUID
    event_type: EventType
    email_id: uuid.UUID | None
    recipient: str | None
    status: WebhookDeliveryStatus
    next_attempt_at: datetime | None = Field(description="When a pending delivery is due.")
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    attempts: list[AttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    page: int
    page_size: int


class EventOut(BaseModel):
    id: uuid.UUID
    type: EventType
    email_id: uuid.UUID | None
    created_at: datetime
    payload: Event = Field(
        description="The body its endpoints receive; what it leaves out is null here."
    )


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    page: int
    page_size: int


class ResendIn(RequestBody):
    event_id: uuid.UUID


class Queued(BaseModel):
    """A delivery made due now."""

    delivery_id: int
    event_id: uuid.UUID
