from __future__ import annotations

from eccs.platform.errors import Conflict, NotFound


class EndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"
    default_message = "No such webhook endpoint."


class EventNotFound(NotFound):
    code = "webhook_event_not_found"
    default_message = "No such event."


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    default_message = "No such delivery."


class TooManyEndpoints(Conflict):
    code = "too_many_webhook_endpoints"


class EndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"
    default_message = "This endpoint is disabled: enable it first (PATCH with enabled: true)."
