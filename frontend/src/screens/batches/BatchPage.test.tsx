import { screen, within } from "@testing-library/react";
import type { Batch, EmailSummary } from "../../api/types";
import { answer, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { BatchListPage } from "./BatchListPage";
import { BatchPage } from "./BatchPage";

const BATCH = "b0000000-0000-4000-8000-000000000001";
const FIRST = "e0000000-0000-4000-8000-000000000001";
const THIRD = "e0000000-0000-4000-8000-000000000003";

const accepted = (id: string) => ({
  id,
  status: "queued" as const,
  created_at: "2026-12-01T10:00:00Z",
  scheduled_at: null,
  expires_at: null,
  recipients: 1,
});

const batch: Batch = {
  id: BATCH,
  created_at: "2026-12-01T10:00:00Z",
  size: 3,
  accepted: 2,
  rejected: 1,
  by_status: { sent: 1, failed: 1 },
  results: [
    { index: 0, email: accepted(FIRST), error: null },
    {
      index: 1,
      email: null,
      error: {
        code: "validation_error",
        message: "The request is not valid.",
        fields: [{ field: "[1].to[0]", message: "is not an email address" }],
      },
    },
    { index: 2, email: accepted(THIRD), error: null },
  ],
};

function summary(id: string, subject: string, status: EmailSummary["status"], to: string): EmailSummary {
  return {
    id,
    subject,
    status,
    to: [to],
    recipients: 1,
    attempts: 1,
    created_at: "2026-12-01T10:00:00Z",
    scheduled_at: null,
    sent_at: null,
    batch_id: BATCH,
  };
}

describe("a batch's page", () => {
  it("shows each email's result: where the accepted ones are now, and why one was refused", async () => {
    const api = stubApi({
      "GET /api/emails/batches/:id": () => answer(200, batch),
      "GET /api/emails": () =>
        answer(200, {
          items: [summary(FIRST, "Your receipt", "sent", "ada@example.com"), summary(THIRD, "Your receipt", "failed", "nobody@fail.test")],
          total: 2,
          page: 1,
          page_size: 100,
        }),
    });
    renderScreen(<BatchPage />, { path: "/emails/batches/:id", at: `/emails/batches/${BATCH}` });

    expect(await screen.findByText("3: 2 accepted, 1 refused")).toBeInTheDocument();
    expect(screen.getByText("1 sent, 1 failed")).toBeInTheDocument();
    const rows = within(screen.getByRole("table")).getAllByRole("row").slice(1);
    expect(await within(rows[0] as HTMLElement).findByText("ada@example.com")).toBeInTheDocument();
    expect(within(rows[0] as HTMLElement).getByRole("link", { name: "Your receipt" })).toHaveAttribute("href", `/emails/${FIRST}`);
    expect(within(rows[0] as HTMLElement).getByText("Sent")).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText("Refused")).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText("to[0]")).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText(/is not an email address/)).toBeInTheDocument();
    expect(within(rows[2] as HTMLElement).getByText("Failed")).toBeInTheDocument();
    expect(api.to("GET /api/emails")[0]?.query.get("batch_id")).toBe(BATCH);
  });

  it("lists the batches, each linked to its page", async () => {
    stubApi({
      "GET /api/emails/batches": () => answer(200, { items: [batch], total: 1, page: 1, page_size: 20 }),
    });
    renderScreen(<BatchListPage />, { path: "/emails/batches" });
    const row = within(await screen.findByRole("table")).getAllByRole("row")[1] as HTMLElement;
    expect(within(row).getByRole("link")).toHaveAttribute("href", `/emails/batches/${BATCH}`);
    expect(within(row).getAllByRole("cell").slice(1).map((cell) => cell.textContent)).toEqual(["3", "2", "1"]);
  });

  it("says how to send one when there are none", async () => {
    stubApi({ "GET /api/emails/batches": () => answer(200, { items: [], total: 0, page: 1, page_size: 20 }) });
    renderScreen(<BatchListPage />, { path: "/emails/batches" });
    expect(await screen.findByText("No batches yet")).toBeInTheDocument();
    expect(screen.getByText("POST /api/emails/batch")).toBeInTheDocument();
  });
});
