import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { createQueryClient } from "../../api/queryClient";
import { currentSession, endSession } from "../../auth/session";
import { SignInPage } from "./SignInPage";

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

const session = {
  access_token: "a1",
  refresh_token: "r1",
  token_type: "bearer",
  expires_in: 900,
  user: { id: "u1", email: "ada@example.com", name: "Ada", role: "user", email_verified: true },
};

function showSignIn(at = "/sign-in") {
  const router = createMemoryRouter(
    [
      { path: "/sign-in", element: <SignInPage /> },
      { path: "*", element: <p>Arrived at the remembered page</p> },
    ],
    { initialEntries: [at] },
  );
  render(
    <QueryClientProvider client={createQueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

async function signIn(email: string, password: string) {
  const user = userEvent.setup();
  if (email) await user.type(screen.getByLabelText("Email"), email);
  if (password) await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("sign-in", () => {
  it("asks for both fields before calling the API", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    showSignIn();
    await signIn("", "");
    expect(await screen.findByText("Enter your email address.")).toBeInTheDocument();
    expect(screen.getByText("Enter your password.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveAttribute("aria-invalid", "true");
    expect(fetch).not.toHaveBeenCalled();
  });

  it("says so when the password is wrong, and stays signed out", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() =>
        Promise.resolve(
          answer(401, { error: { code: "invalid_credentials", message: "no", fields: [] } }),
        ),
      ),
    );
    showSignIn();
    await signIn("ada@example.com", "not-the-password");
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(currentSession()).toBeNull();
  });

  it("returns to the remembered page, and explains that the session had expired", async () => {
    endSession("expired");
    const fetch = vi.fn((request: Request) => {
      expect(request.url).toMatch(/\/api\/auth\/login$/);
      return Promise.resolve(answer(200, session));
    });
    vi.stubGlobal("fetch", fetch);
    const router = showSignIn("/sign-in?next=%2Femails%3Fstatus%3Dfailed");
    expect(screen.getByText(/Your session has expired/)).toBeInTheDocument();
    await signIn("ada@example.com", "the-right-password");
    expect(await screen.findByText("Arrived at the remembered page")).toBeInTheDocument();
    expect(router.state.location.pathname + router.state.location.search).toBe(
      "/emails?status=failed",
    );
    expect(currentSession()?.user.name).toBe("Ada");
  });

  it("never sends the user to another site after signing in", async () => {
    vi.stubGlobal("fetch", vi.fn(() => Promise.resolve(answer(200, session))));
    const router = showSignIn("/sign-in?next=%2F%2Fevil.example");
    await signIn("ada@example.com", "the-right-password");
    await screen.findByText("Arrived at the remembered page");
    expect(router.state.location.pathname).toBe("/");
  });
});
