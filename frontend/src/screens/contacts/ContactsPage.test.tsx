import { screen, waitFor, within } from "@testing-library/react";
import type { Contact } from "../../api/types";
import { answer, apiError, stubApi } from "../../test/fetch";
import { messageFor } from "../../test/messages";
import { renderScreen } from "../../test/render";
import { ContactsPage } from "./ContactsPage";

const ada: Contact = {
  id: "c-1",
  email: "ada@example.com",
  name: "Ada Lovelace",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("contacts", () => {
  it("says when there are none yet", async () => {
    stubApi({ "GET /api/contacts": () => answer(200, { items: [], total: 0, page: 1, page_size: 20 }) });
    renderScreen(<ContactsPage />, { path: "/contacts" });
    expect(await screen.findByText("No contacts yet")).toBeInTheDocument();
  });

  it("adds a contact and lists it", async () => {
    const saved: Contact[] = [];
    const api = stubApi({
      "GET /api/contacts": () => answer(200, { items: saved, total: saved.length, page: 1, page_size: 20 }),
      "POST /api/contacts": (call) => {
        const contact = { ...ada, ...(call.body as object) };
        saved.push(contact);
        return answer(201, contact);
      },
    });
    const { user } = renderScreen(<ContactsPage />, { path: "/contacts" });
    await screen.findByText("No contacts yet");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Name"), "Ada Lovelace");
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    expect(await screen.findByText("Added Ada Lovelace.")).toBeInTheDocument();
    expect(api.to("POST /api/contacts")[0]?.body).toEqual({ email: "ada@example.com", name: "Ada Lovelace" });
    const table = await screen.findByRole("table");
    expect(within(table).getByText("ada@example.com")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue("");
  });

  it("checks the address before asking the API", async () => {
    const api = stubApi({ "GET /api/contacts": () => answer(200, { items: [], total: 0, page: 1, page_size: 20 }) });
    const { user } = renderScreen(<ContactsPage />, { path: "/contacts" });
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    expect(messageFor(screen.getByLabelText("Email"))).toContain("Enter an email address.");
    await user.type(screen.getByLabelText("Email"), "ada");
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    expect(messageFor(screen.getByLabelText("Email"))).toContain("does not look like an email address");
    expect(api.to("POST /api/contacts")).toHaveLength(0);
  });

  it("shows a duplicate address on the Email field", async () => {
    stubApi({
      "GET /api/contacts": () => answer(200, { items: [ada], total: 1, page: 1, page_size: 20 }),
      "POST /api/contacts": () =>
        apiError(409, "contact_exists", "You already have this contact.", [
          { field: "email", message: "is already in your contacts" },
        ]),
    });
    const { user } = renderScreen(<ContactsPage />, { path: "/contacts" });
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    await waitFor(() => {
      expect(messageFor(screen.getByLabelText("Email"))).toContain("is already in your contacts");
    });
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("searches by prefix", async () => {
    const api = stubApi({
      "GET /api/contacts": (call) =>
        answer(200, {
          items: call.query.get("q") === "zz" ? [] : [ada],
          total: call.query.get("q") === "zz" ? 0 : 1,
          page: 1,
          page_size: 20,
        }),
    });
    const { user } = renderScreen(<ContactsPage />, { path: "/contacts" });
    await screen.findByText("Ada Lovelace");
    await user.type(screen.getByRole("searchbox", { name: "Search" }), "zz");
    expect(await screen.findByText("No contacts start with “zz”")).toBeInTheDocument();
    expect(api.to("GET /api/contacts").at(-1)?.query.get("q")).toBe("zz");
  });
});
