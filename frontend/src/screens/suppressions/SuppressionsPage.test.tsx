import { screen, waitFor, within } from "@testing-library/react";
import type { ListedSuppression, Suppression } from "../../api/types";
import { answer, apiError, stubApi, type Call } from "../../test/fetch";
import { messageFor } from "../../test/messages";
import { renderScreen, signInForTest } from "../../test/render";
import { SuppressionsPage } from "./SuppressionsPage";

const bounced: Suppression = {
  address: "gone@example.com",
  reason: "refused",
  created_at: "2026-12-01T10:00:00Z",
  email_id: "e-1",
  smtp_code: 550,
  detail: "5.1.1 mailbox unavailable",
};
const unsubscribed: Suppression = {
  address: "enough@example.com",
  reason: "unsubscribed",
  created_at: "2026-12-02T10:00:00Z",
  email_id: "e-2",
  smtp_code: null,
  detail: null,
};

const page = (items: unknown[]) => answer(200, { items, total: items.length, page: 1, page_size: 20 });

function showSuppressions() {
  return renderScreen(<SuppressionsPage />, { path: "/suppressions" });
}

describe("the suppressions page", () => {
  it("lists the suppressed addresses with why they are there", async () => {
    stubApi({ "GET /api/suppressions": () => page([unsubscribed, bounced]) });
    showSuppressions();
    const row = (await screen.findByText(bounced.address)).closest("tr") as HTMLElement;
    expect(within(row).getByText("Refused by its server")).toBeInTheDocument();
    expect(within(row).getByText("550")).toBeInTheDocument();
    expect(within(row).getByText(/mailbox unavailable/)).toBeInTheDocument();
    expect(within(row).getByRole("link", { name: "the email" })).toHaveAttribute("href", "/emails/e-1");
    const other = screen.getByText(unsubscribed.address).closest("tr") as HTMLElement;
    expect(within(other).getByText("Unsubscribed")).toBeInTheDocument();
  });

  it("says when the list is empty", async () => {
    stubApi({ "GET /api/suppressions": () => page([]) });
    showSuppressions();
    expect(await screen.findByText("No suppressed addresses")).toBeInTheDocument();
  });

  it("searches by any part of the address and filters by reason", async () => {
    const api = stubApi({
      "GET /api/suppressions": (call) => page(call.query.get("q") === "nothing" ? [] : [bounced]),
    });
    const { user } = showSuppressions();
    await screen.findByText(bounced.address);
    await user.type(screen.getByRole("searchbox", { name: "Search" }), "nothing");
    expect(await screen.findByText("No address matches")).toBeInTheDocument();
    expect(api.to("GET /api/suppressions").at(-1)?.query.get("q")).toBe("nothing");

    await user.selectOptions(screen.getByLabelText("Reason"), "Complained");
    await waitFor(() => {
      expect(api.to("GET /api/suppressions").at(-1)?.query.get("reason")).toBe("complaint");
    });
  });

  it("adds an address by hand", async () => {
    const saved: Suppression[] = [];
    const api = stubApi({
      "GET /api/suppressions": () => page(saved),
      "POST /api/suppressions": (call) => {
        const body = call.body as { address: string; detail: string | null };
        const added = { ...bounced, ...body, reason: "manual", email_id: null, smtp_code: null };
        saved.push(added as Suppression);
        return answer(201, added);
      },
    });
    const { user } = showSuppressions();
    await screen.findByText("No suppressed addresses");
    await user.type(screen.getByLabelText("Address"), " ada@example.com ");
    await user.type(screen.getByLabelText("Note"), "asked by phone");
    await user.click(screen.getByRole("button", { name: "Suppress" }));

    expect(await screen.findByText("Your emails are no longer sent to ada@example.com.")).toBeInTheDocument();
    expect(api.to("POST /api/suppressions")[0]?.body).toEqual({ address: "ada@example.com", detail: "asked by phone" });
    const row = (await within(await screen.findByRole("table")).findByText("ada@example.com")).closest("tr") as HTMLElement;
    expect(within(row).getByText("Added by hand")).toBeInTheDocument();
    expect(screen.getByLabelText("Address")).toHaveValue("");
  });

  it("checks the address first, and shows a duplicate next to it", async () => {
    const api = stubApi({
      "GET /api/suppressions": () => page([bounced]),
      "POST /api/suppressions": () =>
        apiError(409, "already_suppressed", "This address is on your list already.", [
          { field: "address", message: "is on your suppression list already" },
        ]),
    });
    const { user } = showSuppressions();
    await screen.findByText(bounced.address);
    await user.type(screen.getByLabelText("Address"), "gone");
    await user.click(screen.getByRole("button", { name: "Suppress" }));
    expect(messageFor(screen.getByLabelText("Address"))).toContain("does not look like an email address");
    expect(api.to("POST /api/suppressions")).toHaveLength(0);

    await user.type(screen.getByLabelText("Address"), "@example.com");
    await user.click(screen.getByRole("button", { name: "Suppress" }));
    await waitFor(() => {
      expect(messageFor(screen.getByLabelText("Address"))).toContain("on your suppression list already");
    });
  });

  it("takes an address off the list after asking", async () => {
    let items = [bounced];
    const api = stubApi({
      "GET /api/suppressions": () => page(items),
      "DELETE /api/suppressions/:address": () => {
        items = [];
        return answer(204);
      },
    });
    const { user } = showSuppressions();
    await user.click(await screen.findByRole("button", { name: `Remove ${bounced.address}` }));
    const dialog = await screen.findByRole("dialog", { name: "Take this address off your list?" });
    await user.click(within(dialog).getByRole("button", { name: "Remove" }));

    expect(await screen.findByText(`Your emails are sent to ${bounced.address} again.`)).toBeInTheDocument();
    expect(api.to("DELETE /api/suppressions/:address")[0]?.path).toBe("/api/suppressions/gone%40example.com");
    expect(await screen.findByText("No suppressed addresses")).toBeInTheDocument();
  });

  it("shows administrators every sender's list, read only", async () => {
    signInForTest("admin");
    const everyone: ListedSuppression = { ...bounced, user_id: "u9", sender_email: "shop@example.com" };
    const api = stubApi({
      "GET /api/suppressions": () => page([]),
      "GET /api/admin/suppressions": (call: Call) => page(call.query.get("q") === "zzz" ? [] : [everyone]),
    });
    const { user } = renderScreen(<SuppressionsPage />, { path: "/suppressions", signedOut: true });
    await screen.findByText("No suppressed addresses");
    await user.click(screen.getByRole("tab", { name: "Every sender's" }));
    const row = (await screen.findByText(everyone.address)).closest("tr") as HTMLElement;
    expect(within(row).getByText("shop@example.com")).toBeInTheDocument();
    expect(within(row).queryByRole("button", { name: /Remove/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Suppress" })).not.toBeInTheDocument();
    expect(api.to("GET /api/admin/suppressions")).toHaveLength(1);
  });
});
