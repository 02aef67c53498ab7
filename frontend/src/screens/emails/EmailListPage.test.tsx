import { screen, waitFor } from "@testing-library/react";
import type { EmailPage, EmailSummary } from "../../api/types";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { EmailListPage } from "./EmailListPage";

function summary(overrides: Partial<EmailSummary> = {}): EmailSummary {
  return {
    id: "3f2b8c1e-0000-4000-8000-000000000001",
    subject: "Quarterly figures",
    status: "sent",
    to: ["grace@example.com"],
    recipients: 2,
    attempts: 1,
    created_at: "2026-11-20T09:00:00Z",
    scheduled_at: null,
    sent_at: "2026-11-20T09:00:02Z",
    batch_id: null,
    ...overrides,
  };
}

function page(items: EmailSummary[], total = items.length): EmailPage {
  return { items, total, page: 1, page_size: 20 };
}

const showList = (at = "/emails") => renderScreen(<EmailListPage />, { path: "/emails", at });

describe("the Sent list", () => {
  it("lists emails with their status, recipients and a link to each", async () => {
    stubApi({ "GET /api/emails": () => answer(200, page([summary()])) });
    showList();
    const link = await screen.findByRole("link", { name: "Quarterly figures" });
    expect(link).toHaveAttribute("href", "/emails/3f2b8c1e-0000-4000-8000-000000000001");
    expect(screen.getByText("grace@example.com")).toBeInTheDocument();
    expect(screen.getByText("and 1 more")).toBeInTheDocument();
    expect(screen.getByText("Sent", { selector: ".badge" })).toBeInTheDocument();
  });

  it("links an email sent in a batch to its batch, and the list to every batch", async () => {
    stubApi({ "GET /api/emails": () => answer(200, page([summary({ batch_id: "b-1" })])) });
    showList();
    expect(await screen.findByRole("link", { name: "in a batch" })).toHaveAttribute("href", "/emails/batches/b-1");
    expect(screen.getByRole("link", { name: "Batches" })).toHaveAttribute("href", "/emails/batches");
  });

  it("sends the status filter and the search to the API and keeps them in the URL", async () => {
    const api = stubApi({ "GET /api/emails": () => answer(200, page([summary()])) });
    const { router, user } = showList();
    await screen.findByRole("link", { name: "Quarterly figures" });

    await user.selectOptions(screen.getByLabelText("Status"), "failed");
    await waitFor(() => {
      expect(api.to("GET /api/emails").at(-1)?.query.get("status")).toBe("failed");
    });
    expect(router.state.location.search).toBe("?status=failed");

    await user.type(screen.getByLabelText("Search"), "invoice");
    await waitFor(() => {
      expect(api.to("GET /api/emails").at(-1)?.query.get("q")).toBe("invoice");
    });
    // One request for the whole word, not one per key.
    expect(api.to("GET /api/emails").filter((call) => call.query.get("q") !== null)).toHaveLength(1);
    expect(router.state.location.search).toBe("?status=failed&q=invoice");
  });

  it("reads the filter, search and page from the URL", async () => {
    const api = stubApi({ "GET /api/emails": () => answer(200, page([summary()], 45)) });
    showList("/emails?status=retrying&q=grace&page=2");
    await screen.findByRole("link", { name: "Quarterly figures" });
    const query = api.to("GET /api/emails")[0]?.query;
    expect(query?.get("status")).toBe("retrying");
    expect(query?.get("q")).toBe("grace");
    expect(query?.get("page")).toBe("2");
    expect(screen.getByLabelText("Status")).toHaveValue("retrying");
    expect(screen.getByLabelText("Search")).toHaveValue("grace");
  });

  it("tells a new user there is no email yet", async () => {
    stubApi({ "GET /api/emails": () => answer(200, page([])) });
    showList();
    expect(await screen.findByText("No email yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Compose your first email" })).toHaveAttribute(
      "href",
      "/compose",
    );
  });

  it("tells apart no email matching the filter, and offers to clear it", async () => {
    stubApi({ "GET /api/emails": () => answer(200, page([])) });
    const { router, user } = showList("/emails?status=failed");
    expect(await screen.findByText("No email matches")).toBeInTheDocument();
    expect(screen.queryByText("No email yet")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Show every email" }));
    expect(router.state.location.search).toBe("");
  });

  it("shows why loading failed, and tries again on request", async () => {
    let calls = 0;
    stubApi({
      "GET /api/emails": () => {
        calls += 1;
        return calls === 1
          ? apiError(422, "validation_error", "The search is too long.")
          : answer(200, page([summary()]));
      },
    });
    const { user } = showList();
    expect(await screen.findByRole("alert")).toHaveTextContent("The search is too long.");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("link", { name: "Quarterly figures" })).toBeInTheDocument();
  });
});
