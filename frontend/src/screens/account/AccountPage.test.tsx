import { screen, waitFor, within } from "@testing-library/react";
import { currentSession, takeEndReason } from "../../auth/session";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen, testUser } from "../../test/render";
import { AccountPage } from "./AccountPage";

function renamedSession(name: string) {
  return {
    access_token: "a2",
    refresh_token: "r2",
    token_type: "bearer",
    expires_in: 900,
    user: { ...testUser, name },
  };
}

function part(name: string) {
  return screen.getByRole("region", { name });
}

describe("the account page", () => {
  it("changes the name, keeping this device signed in with the new one", async () => {
    const api = stubApi({
      "PATCH /api/auth/me": (call) => answer(200, renamedSession((call.body as { name: string }).name)),
      "GET /api/auth/me": () => answer(200, testUser),
    });
    const { user } = renderScreen(<AccountPage />, { path: "/account" });
    const name = within(part("Name")).getByLabelText("Display name");
    expect(name).toHaveValue("Ada");
    await user.clear(name);
    await user.type(name, "Ada Lovelace");
    await user.click(screen.getByRole("button", { name: "Save the name" }));

    expect(await screen.findByText("Saved. Other devices were signed out.")).toBeInTheDocument();
    expect(api.to("PATCH /api/auth/me")[0]?.body).toEqual({ name: "Ada Lovelace" });
    expect(currentSession()?.user.name).toBe("Ada Lovelace");
    expect(currentSession()?.refreshToken).toBe("r2");
  });

  it("shows a wrong current password next to its field", async () => {
    stubApi({
      "POST /api/auth/password": () =>
        apiError(422, "wrong_password", "current_password: is not your current password", [
          { field: "current_password", message: "is not your current password" },
        ]),
    });
    const { user } = renderScreen(<AccountPage />, { path: "/account" });
    const password = part("Password");
    await user.type(within(password).getByLabelText("Current password"), "not it at all");
    await user.type(within(password).getByLabelText("New password"), "a brand new passphrase");
    await user.click(within(password).getByRole("button", { name: "Change the password" }));

    expect(await screen.findByText("is not your current password")).toBeInTheDocument();
    expect(within(password).getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
    expect(currentSession()?.refreshToken).toBe("test-refresh");
  });

  it("changes the password and keeps this device signed in", async () => {
    stubApi({ "POST /api/auth/password": () => answer(200, renamedSession("Ada")) });
    const { user } = renderScreen(<AccountPage />, { path: "/account" });
    const password = part("Password");
    await user.type(within(password).getByLabelText("Current password"), "the old passphrase");
    await user.type(within(password).getByLabelText("New password"), "a brand new passphrase");
    await user.click(within(password).getByRole("button", { name: "Change the password" }));
    expect(await screen.findByText(/Password changed/)).toBeInTheDocument();
    expect(currentSession()?.refreshToken).toBe("r2");
  });

  it("downloads the data as a file", async () => {
    const blobUrl = "blob:export";
    const createObjectURL = vi.fn(() => blobUrl);
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicked: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    stubApi({
      "GET /api/account/export": () =>
        new Response('{"profile":{}}', {
          status: 200,
          headers: {
            "Content-Type": "application/json",
            "Content-Disposition": 'attachment; filename="eccs-export-2026-12-14.json"',
          },
        }),
    });
    const { user } = renderScreen(<AccountPage />, { path: "/account" });
    await user.click(screen.getByRole("button", { name: "Download your data" }));

    await waitFor(() => {
      expect(clicked).toEqual(["eccs-export-2026-12-14.json"]);
    });
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    click.mockRestore();
  });

  it("deletes the account only after the password and a last question", async () => {
    const api = stubApi({ "DELETE /api/auth/me": () => answer(204) });
    const { user } = renderScreen(<AccountPage />, { path: "/account" });
    const deletion = part("Delete the account");
    await user.click(within(deletion).getByRole("button", { name: "Delete my account" }));
    expect(await screen.findByText("Enter your password to delete the account.")).toBeInTheDocument();

    await user.type(within(deletion).getByLabelText("Your password"), "my passphrase here");
    await user.click(within(deletion).getByRole("button", { name: "Delete my account" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete your account?" });
    expect(api.calls).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Delete everything" }));

    await waitFor(() => {
      expect(currentSession()).toBeNull();
    });
    expect(api.to("DELETE /api/auth/me")[0]?.body).toEqual({ password: "my passphrase here" });
    expect(takeEndReason()).toBe("deleted");
  });
});
