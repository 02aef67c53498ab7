import { screen, within } from "@testing-library/react";
import type { WebhookDelivery, WebhookEndpoint } from "../../api/types";
import { answer, stubApi, type Call } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { webhookEndpoint } from "../../test/webhooks";
import { EndpointPage } from "./EndpointPage";

const ID = "0b6f1c2e-0000-4000-8000-000000000001";

const endpoint = webhookEndpoint({ id: ID });

const recovered: WebhookDelivery = {
  id: 7,
  event_id: "9a1e0000-0000-4000-8000-000000000007",
  event_type: "email.sent",
  email_id: "e-1",
  recipient: "grace@example.com",
  status: "delivered",
  next_attempt_at: null,
  delivered_at: "2026-12-01T10:00:06Z",
  last_status_code: 200,
  last_error: null,
  created_at: "2026-12-01T10:00:00Z",
  attempts: [
    { attempt: 1, at: "2026-12-01T10:00:01Z", status_code: 503, latency_ms: 41.6, response_excerpt: "down for maintenance", error: null },
    { attempt: 2, at: "2026-12-01T10:00:06Z", status_code: 200, latency_ms: 12, response_excerpt: "ok", error: null },
  ],
};

const hanging: WebhookDelivery = {
  ...recovered,
  id: 8,
  event_id: "9a1e0000-0000-4000-8000-000000000008",
  event_type: "email.failed",
  status: "pending",
  next_attempt_at: "2026-12-01T10:01:00Z",
  delivered_at: null,
  last_status_code: null,
  last_error: "timed out after 10 s",
  attempts: [{ attempt: 1, at: "2026-12-01T10:00:30Z", status_code: null, latency_ms: null, response_excerpt: null, error: "timed out after 10 s" }],
};

function stubEndpoint(current: WebhookEndpoint, routes: Record<string, (call: Call) => Response> = {}) {
  return stubApi({
    "GET /api/webhooks/:id": () => answer(200, current),
    "GET /api/webhooks/:id/deliveries": () => answer(200, { items: [recovered, hanging], total: 2, page: 1, page_size: 20 }),
    ...routes,
  });
}

function showEndpoint() {
  return renderScreen(<EndpointPage />, { path: "/webhooks/:id", at: `/webhooks/${ID}` });
}

describe("a webhook endpoint's page", () => {
  it("shows each delivery with its attempts: answers, latencies and what the receiver said", async () => {
    stubEndpoint(endpoint);
    const { user } = showEndpoint();
    expect(await screen.findByRole("heading", { level: 1, name: "Billing" })).toBeInTheDocument();
    expect(screen.getByText(endpoint.url)).toBeInTheDocument();

    const delivered = (await screen.findByText("Delivered")).closest("li") as HTMLElement;
    expect(within(delivered).getByText("grace@example.com")).toBeInTheDocument();
    await user.click(within(delivered).getByText("2 attempts"));
    expect(within(delivered).getByText("503")).toBeVisible();
    expect(within(delivered).getByText("down for maintenance")).toBeVisible();
    expect(within(delivered).getByText(/42 ms/)).toBeVisible();
    expect(within(delivered).getByRole("link", { name: "the email" })).toHaveAttribute("href", "/emails/e-1");

    const retrying = screen.getByText("Retrying").closest("li") as HTMLElement;
    expect(within(retrying).getByText("email.failed")).toBeInTheDocument();
    await user.click(within(retrying).getByText("1 attempt"));
    expect(within(retrying).getByText("timed out after 10 s")).toBeVisible();
  });

  it("re-sends an event", async () => {
    const api = stubEndpoint(endpoint, {
      "POST /api/webhooks/:id/resend": () => answer(202, { event_id: recovered.event_id, deliveries: 1 }),
    });
    const { user } = showEndpoint();
    await user.click(await screen.findByRole("button", { name: `Re-send the email.sent event of ${recovered.created_at}` }));
    expect(await screen.findByText("The email.sent event is on its way again.")).toBeInTheDocument();
    expect(api.to("POST /api/webhooks/:id/resend")[0]?.body).toEqual({ event_id: recovered.event_id });
    expect(api.to("POST /api/webhooks/:id/resend")[0]?.path).toBe(`/api/webhooks/${ID}/resend`);
  });

  it("sends a test event and shows a new secret once after a rotation", async () => {
    const api = stubEndpoint(endpoint, {
      "POST /api/webhooks/:id/test": () => answer(202, { event_id: "t", deliveries: 1 }),
      "POST /api/webhooks/:id/rotate-secret": () =>
        answer(200, { secret: "whsec_new-one", previous_secret_expires_at: "2026-12-02T10:00:00Z" }),
    });
    const { user } = showEndpoint();
    await user.click(await screen.findByRole("button", { name: "Send a test event" }));
    expect(await screen.findByText(/A test event is on its way/)).toBeInTheDocument();
    expect(api.to("POST /api/webhooks/:id/test")).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Rotate the secret" }));
    const shown = await screen.findByRole("region", { name: "Secret rotated" });
    expect(within(shown).getByLabelText("The new signing secret")).toHaveValue("whsec_new-one");
    expect(shown).toHaveTextContent("For the next 24 hours requests carry two signatures");
    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("region", { name: "Secret rotated" })).not.toBeInTheDocument();
  });

  it("disables a working endpoint", async () => {
    const api = stubEndpoint(endpoint, {
      "PATCH /api/webhooks/:id": () => answer(200, { ...endpoint, enabled: false, disabled_reason: "owner" }),
    });
    const { user } = showEndpoint();
    await user.click(await screen.findByRole("button", { name: "Disable" }));
    expect(await screen.findByText("Disabled: nothing more is sent to it.")).toBeInTheDocument();
    expect(api.to("PATCH /api/webhooks/:id")[0]?.body).toEqual({ enabled: false });
  });

  it("says an endpoint was disabled for failing, and enables it again", async () => {
    const disabled = {
      ...endpoint,
      enabled: false,
      disabled_at: "2026-12-02T10:00:00Z",
      disabled_reason: "failing" as const,
      failing_since: "2026-12-01T10:00:00Z",
      consecutive_failures: 30,
    };
    const api = stubEndpoint(disabled, {
      "PATCH /api/webhooks/:id": () => answer(200, endpoint),
    });
    const { user } = showEndpoint();
    expect(await screen.findByRole("alert")).toHaveTextContent(/Disabled on .*every request failed since/);
    expect(screen.getByRole("button", { name: "Send a test event" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Enable" }));
    expect(await screen.findByText("Enabled: new events go to it again.")).toBeInTheDocument();
    expect(api.to("PATCH /api/webhooks/:id")[0]?.body).toEqual({ enabled: true });
  });

  it("changes the events and clears the description", async () => {
    const api = stubEndpoint(endpoint, {
      "PATCH /api/webhooks/:id": (call) => answer(200, { ...endpoint, ...(call.body as object) }),
    });
    const { user } = showEndpoint();
    await user.click(await screen.findByRole("button", { name: "Change" }));
    const form = screen.getByRole("region", { name: "Change the endpoint" });
    await user.click(within(form).getByLabelText(/^Deferred:/));
    await user.clear(within(form).getByLabelText("Description"));
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("button", { name: "Change" })).toBeInTheDocument();
    expect(api.to("PATCH /api/webhooks/:id")[0]?.body).toEqual({
      url: endpoint.url,
      events: ["email.sent", "email.deferred", "email.failed"],
      description: null,
    });
  });

  it("deletes the endpoint after asking, and goes back to the list", async () => {
    const api = stubEndpoint(endpoint, { "DELETE /api/webhooks/:id": () => answer(204) });
    const { user, router } = showEndpoint();
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete this endpoint?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    await screen.findByText("Another page");
    expect(router.state.location.pathname).toBe("/webhooks");
    expect(api.to("DELETE /api/webhooks/:id")).toHaveLength(1);
  });
});
