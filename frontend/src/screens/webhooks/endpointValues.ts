// The endpoint form's values, and the API's body made of them.
import type { EventType, WebhookEndpoint, WebhookEndpointInput } from "../../api/types";

export interface EndpointValues {
  url: string;
  events: EventType[];
  description: string;
}

/** A new endpoint's form (the events most programs want), or an endpoint's as it is. */
export function endpointValues(endpoint?: WebhookEndpoint): EndpointValues {
  return {
    url: endpoint?.url ?? "",
    events: endpoint?.events ?? ["email.sent", "email.failed"],
    description: endpoint?.description ?? "",
  };
}

/** For creating and for changing alike: an empty description is none (and clears one). */
export function endpointInput(values: EndpointValues): WebhookEndpointInput {
  const description = values.description.trim();
  return { url: values.url.trim(), events: values.events, description: description === "" ? null : description };
}
