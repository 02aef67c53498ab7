import { screen, waitFor, within } from "@testing-library/react";
import type { WebhookEndpoint } from "../../api/types";
import { answer, apiError, stubApi } from "../../test/fetch";
import { messageFor } from "../../test/messages";
import { renderScreen } from "../../test/render";
import { webhookEndpoint } from "../../test/webhooks";
import { WebhooksPage } from "./WebhooksPage";

const receiver = webhookEndpoint({ description: "billing", last_success_at: "2026-12-01T10:00:00Z" });

const page = (items: WebhookEndpoint[]) => answer(200, { items, total: items.length, page: 1, page_size: 100 });

describe("the webhooks page", () => {
  it("lists each endpoint with its events and whether it works", async () => {
    const failing = { ...receiver, id: "e2", url: "https://down.example.com/", description: null, failing_since: "2026-12-01T11:00:00Z", consecutive_failures: 3 };
    const disabled = { ...receiver, id: "e3", url: "https://old.example.com/", description: null, enabled: false, disabled_at: "2026-12-02T11:00:00Z", disabled_reason: "failing" as const };
    stubApi({ "GET /api/webhooks": () => page([receiver, failing, disabled]) });
    renderScreen(<WebhooksPage />, { path: "/webhooks" });

    const row = (url: string) => within((screen.getByRole("link", { name: url }).closest("tr") as HTMLElement));
    await screen.findByRole("link", { name: receiver.url });
    expect(row(receiver.url).getByText("Active")).toBeInTheDocument();
    expect(row(receiver.url).getByText("email.sent, email.failed")).toBeInTheDocument();
    expect(row(receiver.url).getByText("billing")).toBeInTheDocument();
    expect(row(failing.url).getByText("Failing")).toBeInTheDocument();
    expect(row(disabled.url).getByText("Disabled")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: receiver.url })).toHaveAttribute("href", `/webhooks/${receiver.id}`);
  });

  it("adds an endpoint and shows its signing secret once", async () => {
    let endpoints: WebhookEndpoint[] = [];
    const api = stubApi({
      "GET /api/webhooks": () => page(endpoints),
      "POST /api/webhooks": () => {
        endpoints = [receiver];
        return answer(201, { ...receiver, secret: "whsec_the-only-copy" });
      },
    });
    const { user } = renderScreen(<WebhooksPage />, { path: "/webhooks" });
    expect(await screen.findByText("No endpoints yet")).toBeInTheDocument();

    await user.type(screen.getByLabelText("URL"), " https://hooks.example.com/eccs ");
    await user.click(screen.getByLabelText(/^Failed:/));
    await user.click(screen.getByLabelText(/^Suppressed:/));
    await user.type(screen.getByLabelText("Description"), "billing");
    await user.click(screen.getByRole("button", { name: "Add endpoint" }));

    const shown = await screen.findByRole("region", { name: `Signing secret for ${receiver.url}` });
    expect(within(shown).getByLabelText("The signing secret")).toHaveValue("whsec_the-only-copy");
    expect(api.to("POST /api/webhooks")[0]?.body).toEqual({
      url: "https://hooks.example.com/eccs",
      events: ["email.sent", "email.suppressed"],
      description: "billing",
    });
    expect(await screen.findByRole("link", { name: receiver.url })).toBeInTheDocument();
    expect(screen.getByLabelText("URL")).toHaveValue("");

    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByLabelText("The signing secret")).not.toBeInTheDocument();
  });

  it("needs a URL and an event before asking the API", async () => {
    const api = stubApi({ "GET /api/webhooks": () => page([]) });
    const { user } = renderScreen(<WebhooksPage />, { path: "/webhooks" });
    await screen.findByText("No endpoints yet");
    await user.click(screen.getByLabelText(/^Sent:/));
    await user.click(screen.getByLabelText(/^Failed:/));
    await user.click(screen.getByRole("button", { name: "Add endpoint" }));
    expect(messageFor(screen.getByLabelText("URL"))).toContain("Enter the URL events go to.");
    expect(screen.getByText("Choose at least one.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("URL"), "hooks.example.com");
    await user.click(screen.getByRole("button", { name: "Add endpoint" }));
    expect(messageFor(screen.getByLabelText("URL"))).toContain("Start it with https://");
    expect(api.to("POST /api/webhooks")).toHaveLength(0);
  });

  it("shows why the API refused the URL next to it", async () => {
    stubApi({
      "GET /api/webhooks": () => page([]),
      "POST /api/webhooks": () =>
        apiError(422, "validation_error", "The request is not valid.", [
          { field: "url", message: "internal.example.com resolves to a private address (10.0.0.5)" },
        ]),
    });
    const { user } = renderScreen(<WebhooksPage />, { path: "/webhooks" });
    await screen.findByText("No endpoints yet");
    await user.type(screen.getByLabelText("URL"), "https://internal.example.com/hook");
    await user.click(screen.getByRole("button", { name: "Add endpoint" }));
    await waitFor(() => {
      expect(messageFor(screen.getByLabelText("URL"))).toContain("resolves to a private address");
    });
    expect(screen.queryByRole("region", { name: /Signing secret/ })).not.toBeInTheDocument();
  });
});
