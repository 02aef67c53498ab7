"""The webhook API's rules: a sender's endpoints (each with a secret shown once), their
deliveries and attempts, the events kept, re-sends and test events.

Endpoints hold a transaction around every call here that writes more than one statement.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from eccs.contracts.lifecycle import EventType, WebhookDeliveryStatus
from eccs.contracts.webhook_events import Event, NewEvent, WebhookTestData
from eccs.platform.db import Connection
from eccs.platform.errors import InvalidInput
from eccs.platform.security import Principal
from eccs.webhooks.destinations import DestinationRefused, Destinations
from eccs.webhooks.errors import (
    EndpointDisabled,
    EndpointNotFound,
    EventNotFound,
    TooManyEndpoints,
)
from eccs.webhooks.repository import WebhookRepository
from eccs.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    EndpointChange,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EventOut,
    EventPage,
    Queued,
    SecretRotated,
)
from eccs.webhooks.signing import new_secret

# After a rotation the previous secret signs too for this long: time to deploy the new one.
ROTATION_OVERLAP = timedelta(hours=24)


class WebhookService:
    def __init__(
        self, connection: Connection, destinations: Destinations, max_endpoints: int
    ) -> None:
        self.endpoints = WebhookRepository(connection)
        self.destinations = destinations
        self.max_endpoints = max_endpoints

    # --- endpoints ------------------------------------------------------------------------------

    async def create(self, user: Principal, body: EndpointIn) -> EndpointCreated:
        if await self.endpoints.count(user.id) >= self.max_endpoints:
            raise TooManyEndpoints(
                f"You have {self.max_endpoints} endpoints, the most allowed here: delete one,"
                " or send several event types to one endpoint."
            )
        await self._check_reachable(body.url)
        secret = new_secret()
        row = await self.endpoints.add(
            user.id, user.email, body.url, body.description, body.events, secret, _now()
        )
        return EndpointCreated(**_endpoint_fields(row), secret=secret)

    async def page(self, user: Principal, page: int, page_size: int) -> EndpointPage:
        total, rows = await self.endpoints.page(user.id, (page - 1) * page_size, page_size)
        items = [EndpointOut(**_endpoint_fields(row)) for row in rows]
        return EndpointPage(items=items, total=total, page=page, page_size=page_size)

    async def get(self, user: Principal, endpoint_id: uuid.UUID) -> EndpointOut:
        return EndpointOut(**_endpoint_fields(await self._own(user, endpoint_id)))

    async def change(
        self, user: Principal, endpoint_id: uuid.UUID, body: EndpointChange
    ) -> EndpointOut:
        await self._own(user, endpoint_id)
        if body.url is not None:
            await self._check_reachable(body.url)
        changes: dict[str, Any] = {"owner_email": user.email}
        if body.url is not None:
            changes["url"] = body.url
        if body.events is not None:
            changes["event_types"] = list(body.events)
        if "description" in body.model_fields_set:
            changes["description"] = body.description
        now = _now()
        row = await self.endpoints.update(user.id, endpoint_id, changes, now)
        if body.enabled is False:
            row = await self.endpoints.disable(user.id, endpoint_id, now)
        elif body.enabled and row["disabled_at"] is not None:
            row = await self.endpoints.enable(user.id, endpoint_id, now)
        return EndpointOut(**_endpoint_fields(row))

    async def delete(self, user: Principal, endpoint_id: uuid.UUID) -> None:
        if not await self.endpoints.delete(user.id, endpoint_id):
            raise EndpointNotFound()

    async def rotate(self, user: Principal, endpoint_id: uuid.UUID) -> SecretRotated:
        now = _now()
        secret = new_secret()
        row = await self.endpoints.rotate(user.id, endpoint_id, secret, now + ROTATION_OVERLAP, now)
        if row is None:
            raise EndpointNotFound()
        return SecretRotated(secret=secret, previous_secret_expires_at=now + ROTATION_OVERLAP)

    # --- events and deliveries ------------------------------------------------------------------

    async def test(self, user: Principal, endpoint_id: uuid.UUID) -> Queued:
        """A `webhook.test` event for this endpoint alone."""
        await self._enabled(user, endpoint_id)
        now = _now()
        event_id = uuid.uuid4()
        data = WebhookTestData(
            endpoint_id=endpoint_id, message="A test event from ECCS: this endpoint works."
        )
        body = Event(id=event_id, type=EventType.TEST, timestamp=now, data=data)
        event = NewEvent(event_id, user.id, EventType.TEST, None, body.model_dump(mode="json"))
        delivery_id = await self.endpoints.add_for(endpoint_id, event, now)
        return Queued(delivery_id=delivery_id, event_id=event_id)

    async def resend(self, user: Principal, endpoint_id: uuid.UUID, event_id: uuid.UUID) -> Queued:
        await self._enabled(user, endpoint_id)
        delivery_id = await self.endpoints.resend(user.id, endpoint_id, event_id, _now())
        if delivery_id is None:
            raise EventNotFound()
        return Queued(delivery_id=delivery_id, event_id=event_id)

    async def deliveries(
        self,
        user: Principal,
        endpoint_id: uuid.UUID,
        status: str | None,
        page: int,
        page_size: int,
    ) -> DeliveryPage:
        await self._own(user, endpoint_id)
        offset = (page - 1) * page_size
        total, rows = await self.endpoints.deliveries(endpoint_id, status, offset, page_size)
        items = [_delivery(row) for row in rows]
        return DeliveryPage(items=items, total=total, page=page, page_size=page_size)

    async def events(
        self,
        user: Principal,
        event_type: str | None,
        email_id: uuid.UUID | None,
        page: int,
        page_size: int,
    ) -> EventPage:
        offset = (page - 1) * page_size
        total, rows = await self.endpoints.events(user.id, event_type, email_id, offset, page_size)
        items = [EventOut(**dict(row)) for row in rows]
        return EventPage(items=items, total=total, page=page, page_size=page_size)

    # --- checks ---------------------------------------------------------------------------------

    async def _own(self, user: Principal, endpoint_id: uuid.UUID) -> Any:
        row = await self.endpoints.get(user.id, endpoint_id)
        if row is None:
            raise EndpointNotFound()
        return row

    async def _enabled(self, user: Principal, endpoint_id: uuid.UUID) -> None:
        if (await self._own(user, endpoint_id))["disabled_at"] is not None:
            raise EndpointDisabled()

    async def _check_reachable(self, url: str) -> None:
        try:
            await self.destinations.check_url(url)
        except DestinationRefused as exc:
            raise InvalidInput.on(
                "url",
                f"{exc}: ECCS does not call addresses on private networks (an operator can"
                " allow a network for on-premise receivers with WEBHOOK_ALLOWED_NETWORKS)",
            ) from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _endpoint_fields(row: Any) -> dict[str, Any]:
    fields = {name: row[name] for name in EndpointOut.model_fields if name in row}
    return {**fields, "events": row["event_types"], "enabled": row["disabled_at"] is None}


def _delivery(row: Any) -> DeliveryOut:
    fields = dict(row)
    if fields["status"] != WebhookDeliveryStatus.PENDING:
        fields["next_attempt_at"] = None
    return DeliveryOut(**fields)
