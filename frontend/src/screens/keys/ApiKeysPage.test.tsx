import { screen, within } from "@testing-library/react";
import type { ApiKey } from "../../api/types";
import { answer, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { ApiKeysPage } from "./ApiKeysPage";

const billing: ApiKey = {
  id: "k1",
  name: "billing service",
  prefix: "eccs_Ab3dE9xQ",
  scopes: ["emails:send", "emails:read"],
  created_at: "2026-12-01T09:00:00Z",
  expires_at: null,
  last_used_at: "2026-12-13T10:00:00Z",
};

describe("the API keys page", () => {
  it("lists the keys by name, start and what they may do", async () => {
    stubApi({ "GET /api/auth/keys": () => answer(200, { items: [billing] }) });
    renderScreen(<ApiKeysPage />, { path: "/keys" });
    const row = (await screen.findByText("billing service")).closest("tr");
    expect(row).not.toBeNull();
    const cells = within(row as HTMLElement);
    expect(cells.getByText("eccs_Ab3dE9xQ…")).toBeInTheDocument();
    expect(cells.getByText("Send emails (and retry or cancel them)")).toBeInTheDocument();
    expect(cells.getByText("Read emails and statistics")).toBeInTheDocument();
  });

  it("makes a key and shows it once", async () => {
    let keys: ApiKey[] = [];
    const made = { ...billing, id: "k2", name: "nightly job", scopes: ["contacts"], last_used_at: null };
    const api = stubApi({
      "GET /api/auth/keys": () => answer(200, { items: keys }),
      "POST /api/auth/keys": () => {
        keys = [made as ApiKey];
        return answer(201, { ...made, key: "eccs_the-whole-secret-key" });
      },
    });
    const { user } = renderScreen(<ApiKeysPage />, { path: "/keys" });
    expect(await screen.findByText("No keys yet")).toBeInTheDocument();
    expect(screen.queryByLabelText("Operators' API (dead letters, stopping emails)")).not.toBeInTheDocument();

    await user.type(screen.getByLabelText("Name"), "nightly job");
    await user.click(screen.getByLabelText("Send emails (and retry or cancel them)"));
    await user.click(screen.getByLabelText("Manage contacts"));
    await user.selectOptions(screen.getByLabelText("Expires"), "In 30 days");
    await user.click(screen.getByRole("button", { name: "Make the key" }));

    const shown = await screen.findByRole("region", { name: "Your new key “nightly job”" });
    expect(within(shown).getByLabelText("The key")).toHaveValue("eccs_the-whole-secret-key");
    const body = api.to("POST /api/auth/keys")[0]?.body as { name: string; scopes: string[]; expires_at: string };
    expect(body.name).toBe("nightly job");
    expect(body.scopes).toEqual(["contacts"]);
    const days = (Date.parse(body.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    expect(await within(await screen.findByRole("table")).findByText("nightly job")).toBeInTheDocument();

    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByLabelText("The key")).not.toBeInTheDocument();
  });

  it("needs a name and a scope before asking the API", async () => {
    const api = stubApi({ "GET /api/auth/keys": () => answer(200, { items: [] }) });
    const { user } = renderScreen(<ApiKeysPage />, { path: "/keys" });
    await user.click(await screen.findByLabelText("Send emails (and retry or cancel them)"));
    await user.click(screen.getByRole("button", { name: "Make the key" }));
    expect(await screen.findByText("Name the key.")).toBeInTheDocument();
    expect(screen.getByText("Choose at least one.")).toBeInTheDocument();
    expect(api.to("POST /api/auth/keys")).toHaveLength(0);
  });

  it("revokes a key after asking", async () => {
    let keys = [billing];
    const api = stubApi({
      "GET /api/auth/keys": () => answer(200, { items: keys }),
      "DELETE /api/auth/keys/:id": () => {
        keys = [];
        return answer(204);
      },
    });
    const { user } = renderScreen(<ApiKeysPage />, { path: "/keys" });
    await user.click(await screen.findByRole("button", { name: "Revoke billing service" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke this key?" });
    await user.click(within(dialog).getByRole("button", { name: "Revoke" }));

    expect(await screen.findByText("Revoked “billing service”: it no longer works.")).toBeInTheDocument();
    expect(api.to("DELETE /api/auth/keys/:id")[0]?.path).toBe("/api/auth/keys/k1");
    expect(await screen.findByText("No keys yet")).toBeInTheDocument();
  });
});
