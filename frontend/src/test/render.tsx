// Renders a screen the way the app does: a query client, a router, and a signed-in user.
import { QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactElement } from "react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { createQueryClient } from "../api/queryClient";
import { startSession } from "../auth/session";

export const testUser = {
  id: "u1",
  email: "ada@example.com",
  name: "Ada",
  role: "user" as const,
  email_verified: true,
};

export function signInForTest(role: "user" | "admin" = "user"): void {
  startSession({
    access_token: "test-access",
    refresh_token: "test-refresh",
    token_type: "bearer",
    expires_in: 900,
    user: { ...testUser, role },
  });
}

interface Options {
  /** The route pattern the screen is mounted at, e.g. "/templates/:id". */
  path?: string;
  /** The URL to start at. */
  at?: string;
  /** Leave the user signed out. */
  signedOut?: boolean;
}

export function renderScreen(screen: ReactElement, options: Options = {}) {
  const { path = "/", at = path, signedOut = false } = options;
  if (!signedOut) signInForTest();
  const queryClient = createQueryClient();
  const router = createMemoryRouter(
    [
      { path, element: screen },
      // Any other page: a test reads where it went from `router.state.location`.
      { path: "*", element: <p>Another page</p> },
    ],
    { initialEntries: [at] },
  );
  const user = userEvent.setup();
  const result = render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { ...result, router, queryClient, user };
}
