// A webhook endpoint as the API answers it, for the webhook screens' tests.
import type { WebhookEndpoint } from "../api/types";

export function webhookEndpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: "0b6f1c2e-0000-4000-8000-000000000001",
    url: "https://hooks.example.com/eccs",
    description: "Billing",
    events: ["email.sent", "email.failed"],
    enabled: true,
    disabled_at: null,
    disabled_reason: null,
    failing_since: null,
    consecutive_failures: 0,
    last_success_at: null,
    last_failure_at: null,
    previous_secret_expires_at: null,
    created_at: "2026-11-30T09:00:00Z",
    updated_at: "2026-11-30T09:00:00Z",
    ...overrides,
  };
}
