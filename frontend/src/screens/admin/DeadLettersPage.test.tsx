import { screen, waitFor, within } from "@testing-library/react";
import type { DeadLetter } from "../../api/types";
import { answer, stubApi } from "../../test/fetch";
import { renderScreen, signInForTest } from "../../test/render";
import { DeadLettersPage } from "./DeadLettersPage";

function letter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id: "8322f906-607b-4b3e-aef9-d66e5fb8160b",
    user_id: "b209c8e0-e0ab-42ae-8fc5-32d00d90373a",
    sender_email: "ada@example.com",
    subject: "Never arrives",
    reason: "exhausted",
    detail: "451 4.0.0 try later",
    failed_at: "2026-11-27T02:43:28Z",
    attempts: 3,
    recipients: [
      {
        address: "someone@down.test",
        kind: "to",
        status: "abandoned",
        smtp_code: 451,
        smtp_reply: "4.0.0 down.test answers 451 to every attempt",
      },
    ],
    ...overrides,
  };
}

const listing = (total: number) => ({ items: [letter()], total, page: 1, page_size: 20 });

function showDeadLetters(at = "/admin/dlq") {
  signInForTest("admin");
  return renderScreen(<DeadLettersPage />, { path: "/admin/dlq", at, signedOut: true });
}

describe("dead letters", () => {
  it("lists each dead letter with its owner, recipients' last replies and reason", async () => {
    stubApi({ "GET /api/admin/dlq": () => answer(200, listing(1)) });
    showDeadLetters();
    const row = (await screen.findByText("Never arrives")).closest("tr");
    if (row === null) throw new Error("no row");
    expect(row).toHaveTextContent("ada@example.com");
    expect(row).toHaveTextContent("451 4.0.0 down.test answers 451 to every attempt");
    expect(row).toHaveTextContent("Attempts used up");
  });

  it("sends the filters from the URL to the API", async () => {
    const api = stubApi({ "GET /api/admin/dlq": () => answer(200, listing(1)) });
    showDeadLetters("/admin/dlq?reason=refused&since=2026-11-01T08:30");
    await screen.findByText("Never arrives");
    const query = api.to("GET /api/admin/dlq")[0]?.query;
    expect(query?.get("reason")).toBe("refused");
    expect(query?.get("since")).toBe(new Date("2026-11-01T08:30").toISOString());
    expect(query?.has("until")).toBe(false);
    expect(screen.getByLabelText("Reason")).toHaveValue("refused");
  });

  it("refuses a number to replay outside 1 to the API's maximum", async () => {
    const api = stubApi({ "GET /api/admin/dlq": () => answer(200, listing(250)) });
    const { user } = showDeadLetters();
    await screen.findByText("Never arrives");
    await user.click(screen.getByRole("button", { name: "Replay" }));
    const dialog = screen.getByRole("dialog", { name: "Replay dead letters" });
    const howMany = within(dialog).getByLabelText("How many");
    // Every match, up to a hundred, unless the operator says otherwise.
    expect(howMany).toHaveValue(100);

    for (const wrong of ["0", "1001", "2.5"]) {
      await user.clear(howMany);
      await user.type(howMany, wrong);
      await user.click(within(dialog).getByRole("button", { name: "Replay" }));
      expect(await within(dialog).findByText("Enter a whole number from 1 to 1,000.")).toBeInTheDocument();
      expect(howMany).toHaveAttribute("aria-invalid", "true");
    }
    await user.clear(howMany);
    await user.click(within(dialog).getByRole("button", { name: "Replay" }));
    expect(await within(dialog).findByText("Say how many to replay.")).toBeInTheDocument();
    expect(api.to("POST /api/admin/dlq/replay")).toHaveLength(0);
  });

  it("replays with the current filters, says how many were re-queued and refreshes the list", async () => {
    const api = stubApi({
      "GET /api/admin/dlq": () => answer(200, listing(3)),
      "POST /api/admin/dlq/replay": () =>
        answer(200, { ids: ["a", "b"], matched: 3, requeued: 2 }),
    });
    const { user } = showDeadLetters(
      "/admin/dlq?reason=exhausted&since=2026-11-01T08:30&until=2026-11-30T18:00",
    );
    await screen.findByText("Never arrives");
    await user.click(screen.getByRole("button", { name: "Replay" }));
    const dialog = screen.getByRole("dialog", { name: "Replay dead letters" });
    expect(within(dialog).getByLabelText("How many")).toHaveValue(3);
    await user.clear(within(dialog).getByLabelText("How many"));
    await user.type(within(dialog).getByLabelText("How many"), "2");
    await user.type(within(dialog).getByLabelText("Per second"), "0.5");
    await user.click(within(dialog).getByRole("button", { name: "Replay" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Re-queued 2 emails; 1 more still match.");
    expect(api.to("POST /api/admin/dlq/replay")[0]?.body).toEqual({
      reason: "exhausted",
      since: new Date("2026-11-01T08:30").toISOString(),
      until: new Date("2026-11-30T18:00").toISOString(),
      limit: 2,
      rate_per_second: 0.5,
    });
    await waitFor(() => {
      expect(api.to("GET /api/admin/dlq")).toHaveLength(2);
    });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("leaves the rate out when none is given", async () => {
    const api = stubApi({
      "GET /api/admin/dlq": () => answer(200, listing(1)),
      "POST /api/admin/dlq/replay": () => answer(200, { ids: ["a"], matched: 1, requeued: 1 }),
    });
    const { user } = showDeadLetters();
    await screen.findByText("Never arrives");
    await user.click(screen.getByRole("button", { name: "Replay" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Replay" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Re-queued 1 email.");
    expect(api.to("POST /api/admin/dlq/replay")[0]?.body).toEqual({ limit: 1 });
  });
});
