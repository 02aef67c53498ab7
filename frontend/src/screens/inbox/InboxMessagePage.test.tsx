import { screen, waitFor } from "@testing-library/react";
import type { InboxMessage } from "../../api/types";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { InboxMessagePage } from "./InboxMessagePage";

const message: InboxMessage = {
  id: "e659cd2400af423cbf89553ba049c573",
  subject: "Quarterly figures",
  message_id: "<abc@localhost>",
  received_at: "2026-11-27T02:43:14Z",
  size: 1059,
  envelope: { from: "no-reply@localhost", to: ["grace@example.com"] },
  headers: [
    { name: "From", value: "Ada <no-reply@localhost>" },
    { name: "To", value: "grace@example.com" },
    { name: "Date", value: "Fri, 27 Nov 2026 02:43:11 +0000" },
  ],
  text: "The figures are ready.",
  html: "<p>The figures are <b>ready</b>.</p>",
  attachments: [{ index: 0, filename: "figures.csv", content_type: "text/csv", size: 2048 }],
};

const RAW = "Subject: Quarterly figures\r\nMIME-Version: 1.0\r\n\r\nThe figures are ready.";

/**
 * The app asks for /health with a bare relative fetch, which Node's Request cannot parse without
 * a base: resolve it against the page first, then hand it to the stub.
 */

function stub(mode = "embedded") {
  const api = stubApi({
    "GET /health": () => answer(200, { status: "ready", mode }),
    "GET /api/dev/inbox/:id": () => answer(200, message),
    "GET /api/dev/inbox/:id/raw": () =>
      new Response(RAW, { status: 200, headers: { "Content-Type": "message/rfc822" } }),
  });
  return api;
}

const showMessage = (id = message.id) =>
  renderScreen(<InboxMessagePage />, { path: "/dev/inbox/:id", at: `/dev/inbox/${id}` });

describe("a caught message", () => {
  it("shows its headers, its HTML sandboxed, and its attachments as downloads", async () => {
    stub();
    showMessage();
    expect(await screen.findByRole("heading", { level: 1, name: "Quarterly figures" })).toBeInTheDocument();
    expect(screen.getAllByText("Ada <no-reply@localhost>")[0]).toBeVisible();
    expect(screen.getByTitle(/HTML body/)).toHaveAttribute("sandbox", "");
    expect(screen.getByRole("link", { name: "figures.csv" })).toHaveAttribute(
      "href",
      `/api/dev/inbox/${message.id}/attachments/0`,
    );
  });

  it("fetches the raw source only when that view is opened", async () => {
    const api = stub();
    const { user } = showMessage();
    await user.click(await screen.findByRole("tab", { name: "Text" }));
    expect(screen.getByText("The figures are ready.")).toBeInTheDocument();
    expect(api.to("GET /api/dev/inbox/:id/raw")).toHaveLength(0);

    await user.click(screen.getByRole("tab", { name: "Raw source" }));
    expect(await screen.findByText(/MIME-Version: 1\.0/)).toBeInTheDocument();
    expect(api.to("GET /api/dev/inbox/:id/raw")).toHaveLength(1);
  });

  it("asks nothing of a mail catcher that is not there", async () => {
    const api = stub("distributed");
    showMessage();
    expect(await screen.findByText("No mail catcher here")).toBeInTheDocument();
    await waitFor(() => {
      expect(api.to("GET /health")).toHaveLength(1);
    });
    expect(api.calls.filter((call) => call.path.startsWith("/api/dev"))).toHaveLength(0);
  });

  it("says so when the message is gone", async () => {
    stubApi({
      "GET /health": () => answer(200, { status: "ready", mode: "embedded" }),
      "GET /api/dev/inbox/:id": () => apiError(404, "not_found", "No such message."),
    });
    showMessage("gone");
    expect(await screen.findByRole("heading", { level: 1, name: "Message not found" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to the mail catcher" })).toHaveAttribute(
      "href",
      "/dev/inbox",
    );
  });
});
