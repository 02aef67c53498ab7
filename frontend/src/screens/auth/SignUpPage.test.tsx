import { screen } from "@testing-library/react";
import { currentSession } from "../../auth/session";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { SignUpPage } from "./SignUpPage";

async function fillIn(user: ReturnType<typeof renderScreen>["user"]) {
  await user.type(screen.getByLabelText("Name"), "Ada");
  await user.type(screen.getByLabelText("Email"), "ada@example.com");
  await user.type(screen.getByLabelText("Password"), "ledger-of-quiet-harbours");
  await user.click(screen.getByRole("button", { name: "Create account" }));
}

describe("sign-up", () => {
  it("asks to confirm the address from the inbox, and does not sign in", async () => {
    const api = stubApi({
      "GET /health": () => answer(200, { status: "ready", mode: "embedded" }),
      "POST /api/auth/register": () =>
        answer(202, { email: "ada@example.com", message: "A message is on its way." }),
    });
    const { user } = renderScreen(<SignUpPage />, { path: "/sign-up", signedOut: true });
    await fillIn(user);

    expect(await screen.findByRole("heading", { name: "Check your inbox" })).toBeInTheDocument();
    expect(screen.getByText("ada@example.com")).toBeInTheDocument();
    expect(await screen.findByText(/open\s+Mail catcher/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/sign-in");
    expect(api.to("POST /api/auth/register")[0]?.body).toEqual({
      name: "Ada",
      email: "ada@example.com",
      password: "ledger-of-quiet-harbours",
    });
    expect(currentSession()).toBeNull();
  });

  it("shows the API's word on a field next to it", async () => {
    stubApi({
      "POST /api/auth/register": () =>
        apiError(422, "validation_error", "password: is common", [
          { field: "password", message: "is one of the most common passwords; choose another" },
        ]),
    });
    const { user } = renderScreen(<SignUpPage />, { path: "/sign-up", signedOut: true });
    await fillIn(user);
    expect(await screen.findByText(/most common passwords/)).toBeInTheDocument();
    expect(screen.getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
  });
});
