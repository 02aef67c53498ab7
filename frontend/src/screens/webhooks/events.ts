// The events an endpoint can receive, in the words of the webhook screens.
import type { EventType, WebhookDelivery, WebhookEndpoint } from "../../api/types";

export const EVENTS: { type: EventType; label: string }[] = [
  { type: "email.sent", label: "Sent: a server accepted the email for a recipient" },
  { type: "email.deferred", label: "Deferred: a temporary failure, another attempt is due" },
  { type: "email.failed", label: "Failed: refused, or given up on" },
  { type: "email.suppressed", label: "Suppressed: not sent, the address is on your list" },
  { type: "email.unsubscribed", label: "Unsubscribed: a recipient used the one-click link" },
  { type: "email.complained", label: "Complained: a recipient reported an email as spam" },
];

export function eventName(type: EventType): string {
  return type === "webhook.test" ? "test event" : type;
}

const DELIVERY_STATES: Record<WebhookDelivery["status"], string> = {
  pending: "Retrying",
  delivered: "Delivered",
  failed: "Given up",
};

export function deliveryState(delivery: WebhookDelivery): string {
  return delivery.status === "pending" && delivery.attempts.length === 0
    ? "Waiting"
    : DELIVERY_STATES[delivery.status];
}

/** The endpoint's state in a word: working, failing (still tried) or disabled. */
export function endpointState(endpoint: WebhookEndpoint): { word: string; tone: string } {
  if (!endpoint.enabled) return { word: "Disabled", tone: "failed" };
  if (endpoint.failing_since !== null) return { word: "Failing", tone: "retrying" };
  return { word: "Active", tone: "sent" };
}
