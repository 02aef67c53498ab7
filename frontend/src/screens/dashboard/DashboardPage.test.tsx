import { screen } from "@testing-library/react";
import type { EmailStats } from "../../api/types";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { DashboardPage } from "./DashboardPage";

// The charts have their own test; here they only need to arrive.
vi.mock("./DashboardCharts", () => ({
  DashboardCharts: () => <p>The charts</p>,
}));

function stats(overrides: Partial<EmailStats> = {}): EmailStats {
  return {
    total: 42,
    sent_today: 7,
    by_status: { scheduled: 1, queued: 0, sending: 0, retrying: 2, sent: 36, failed: 3, cancelled: 0 },
    hourly: [],
    daily: [],
    ...overrides,
  };
}

describe("the dashboard", () => {
  it("shows the totals and each status's count, each leading to the list it counts", async () => {
    stubApi({ "GET /api/emails/stats": () => answer(200, stats()) });
    renderScreen(<DashboardPage />);
    expect(await screen.findByRole("link", { name: "42 Total" })).toHaveAttribute("href", "/emails");
    expect(screen.getByRole("link", { name: "7 Sent today" })).toHaveAttribute(
      "href",
      "/emails?status=sent",
    );
    expect(screen.getByRole("link", { name: "36 Sent" })).toHaveAttribute("href", "/emails?status=sent");
    expect(screen.getByRole("link", { name: "3 Failed" })).toHaveAttribute(
      "href",
      "/emails?status=failed",
    );
    expect(screen.getByRole("link", { name: "2 Retrying" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "0 Cancelled" })).toBeInTheDocument();
    expect(await screen.findByText("The charts")).toBeInTheDocument();
  });

  it("invites a new user to send a first email", async () => {
    stubApi({
      "GET /api/emails/stats": () =>
        answer(200, stats({ total: 0, sent_today: 0, by_status: {} })),
    });
    renderScreen(<DashboardPage />);
    expect(await screen.findByText("No email yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Compose your first email" })).toHaveAttribute(
      "href",
      "/compose",
    );
    expect(screen.queryByText("The charts")).not.toBeInTheDocument();
  });

  it("says why the numbers could not be loaded", async () => {
    stubApi({ "GET /api/emails/stats": () => apiError(403, "forbidden", "Not for you.") });
    renderScreen(<DashboardPage />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Not for you.");
  });
});
