import { render, screen, within } from "@testing-library/react";
import type { EmailStats } from "../../api/types";
import { DashboardCharts } from "./DashboardCharts";

const stats: EmailStats = {
  total: 12,
  sent_today: 5,
  by_status: { scheduled: 0, queued: 0, sending: 0, retrying: 0, sent: 10, failed: 2, cancelled: 0 },
  hourly: [
    { start: "2026-11-27T01:00:00Z", sent: 1, failed: 0 },
    { start: "2026-11-27T02:00:00Z", sent: 4, failed: 1 },
  ],
  daily: [
    { start: "2026-11-26T00:00:00Z", sent: 5, failed: 1 },
    { start: "2026-11-27T00:00:00Z", sent: 5, failed: 1 },
  ],
};

beforeEach(() => {
  // jsdom measures nothing; the charts only need the observer to exist.
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  );
});


describe("the dashboard's charts", () => {
  it("say what they show in words, with the numbers in tables", () => {
    render(<DashboardCharts stats={stats} />);
    expect(screen.getByText(/^5 sent and 1 failed in the last 24 hours/)).toBeInTheDocument();
    expect(screen.getByText(/^10 sent and 2 failed in the last 30 days/)).toBeInTheDocument();
    expect(screen.getByText("Where all 12 emails stand: 10 sent, 2 failed.")).toBeInTheDocument();

    const hourly = screen.getByRole("table", { name: "Sent and failed per hour" });
    const rows = within(hourly).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(rows[2]).toHaveTextContent(/41$/);
  });
});
