import { screen } from "@testing-library/react";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen, testUser } from "../../test/render";
import { VerifyEmailPage } from "./VerifyEmailPage";

describe("the verification link's page", () => {
  it("confirms the address once, on arrival", async () => {
    const api = stubApi({
      "POST /api/auth/verify-email": () => answer(200, { ...testUser, email_verified: true }),
    });
    renderScreen(<VerifyEmailPage />, { path: "/verify-email", at: "/verify-email?token=t.s", signedOut: true });

    expect(await screen.findByRole("heading", { name: "Address confirmed" })).toBeInTheDocument();
    expect(screen.getByText(testUser.email)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in" })).toBeInTheDocument();
    expect(api.to("POST /api/auth/verify-email").map((call) => call.body)).toEqual([{ token: "t.s" }]);
    expect(api.to("POST /api/auth/verify-email")[0]?.headers.get("Authorization")).toBeNull();
  });

  it("says a used or expired link does not work, and how to get another", async () => {
    stubApi({
      "POST /api/auth/verify-email": () =>
        apiError(422, "invalid_link", "This link is invalid, expired or already used; ask for a new one.", [
          { field: "token", message: "is invalid, expired or already used" },
        ]),
    });
    renderScreen(<VerifyEmailPage />, { path: "/verify-email", at: "/verify-email?token=spent" });

    expect(await screen.findByRole("heading", { name: "This link does not work" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("already used");
    expect(screen.getByText(/offers to send a new link/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go to the dashboard" })).toBeInTheDocument();
  });

  it("asks for nothing without a token", async () => {
    const api = stubApi({});
    renderScreen(<VerifyEmailPage />, { path: "/verify-email", signedOut: true });
    expect(await screen.findByRole("alert")).toHaveTextContent("incomplete");
    expect(api.calls).toHaveLength(0);
  });
});
