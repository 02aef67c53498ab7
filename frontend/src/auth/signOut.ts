import type { QueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import { currentSession, endSession } from "./session";

/** Revoke the refresh token on the server, then forget the session in every tab. */
export async function signOut(queryClient: QueryClient): Promise<void> {
  const session = currentSession();
  if (session !== null) {
    // Signing out works even when the server cannot be told: the tokens are forgotten here.
    await api
      .POST("/api/auth/logout", { body: { refresh_token: session.refreshToken } })
      .catch(() => undefined);
  }
  endSession("signed-out");
  queryClient.clear();
}
