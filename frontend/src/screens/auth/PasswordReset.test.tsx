import { screen } from "@testing-library/react";
import { currentSession } from "../../auth/session";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { ForgotPasswordPage } from "./ForgotPasswordPage";
import { ResetPasswordPage } from "./ResetPasswordPage";

const SAME_FOR_ANY = "If an account has this address, a link is on its way to it.";

describe("a forgotten password", () => {
  it("asks for a link and says what the API says, whatever the address", async () => {
    const api = stubApi({ "POST /api/auth/password/forgot": () => answer(202, { message: SAME_FOR_ANY }) });
    const { user } = renderScreen(<ForgotPasswordPage />, { path: "/forgot-password", signedOut: true });
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.click(screen.getByRole("button", { name: "Email me a link" }));

    expect(await screen.findByText(SAME_FOR_ANY)).toBeInTheDocument();
    expect(api.to("POST /api/auth/password/forgot")[0]?.body).toEqual({ email: "ada@example.com" });
  });

  it("sets the new password from the link and signs this browser out", async () => {
    const api = stubApi({ "POST /api/auth/password/reset": () => answer(204) });
    const { user } = renderScreen(<ResetPasswordPage />, {
      path: "/reset-password",
      at: "/reset-password?token=abc.def",
    });
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Set the new password" }));

    expect(await screen.findByRole("heading", { name: "Password changed" })).toBeInTheDocument();
    expect(api.to("POST /api/auth/password/reset")[0]?.body).toEqual({
      token: "abc.def",
      password: "a brand new passphrase",
    });
    expect(currentSession()).toBeNull();
  });

  it("checks the length first, and offers a new link when this one is spent", async () => {
    const api = stubApi({
      "POST /api/auth/password/reset": () =>
        apiError(422, "invalid_link", "This link is invalid, expired or already used; ask for a new one.", [
          { field: "token", message: "is invalid, expired or already used" },
        ]),
    });
    const { user } = renderScreen(<ResetPasswordPage />, {
      path: "/reset-password",
      at: "/reset-password?token=spent",
      signedOut: true,
    });
    await user.type(screen.getByLabelText("New password"), "short");
    await user.click(screen.getByRole("button", { name: "Set the new password" }));
    expect(await screen.findByText("Use 10 to 72 characters.")).toBeInTheDocument();
    expect(api.calls).toHaveLength(0);

    await user.clear(screen.getByLabelText("New password"));
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Set the new password" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("already used");
    expect(screen.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/forgot-password");
  });
});
