// The typed API client: paths and shapes come from the generated schema (npm run generate-api).
import createClient, { type Middleware } from "openapi-fetch";
import {
  accessToken,
  currentSession,
  refreshSession,
  SessionExpired,
} from "../auth/session";
import { ApiError } from "./errors";
import type { paths } from "./schema";
import type { Session } from "./types";

// Sign-in, sign-up, refresh and the pages emailed links open carry no access token; every
// other path needs one.
const PUBLIC_PATHS = new Set([
  "/api/auth/login",
  "/api/auth/register",
  "/api/auth/refresh",
  "/api/auth/verify-email",
  "/api/auth/password/forgot",
  "/api/auth/password/reset",
]);
const isPublic = (path: string) =>
  PUBLIC_PATHS.has(path) || path.startsWith("/api/dev/") || path.startsWith("/api/unsubscribe/");

/** Rotates the tokens with a bare fetch: the client's own middleware must not run on it. */
export async function refreshTokens(refreshToken: string): Promise<Session | "rejected"> {
  const response = await fetch("/api/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (response.status === 401) return "rejected";
  const body: unknown = await response.json();
  if (!response.ok) throw ApiError.from(response, body);
  return body as Session;
}

// A copy of each authenticated request, to send once more after a 401 and a refresh.
const retries = new WeakMap<Request, Request>();

const authentication: Middleware = {
  async onRequest({ request, schemaPath }) {
    if (isPublic(schemaPath) || currentSession() === null) return request;
    request.headers.set("Authorization", `Bearer ${await accessToken(refreshTokens)}`);
    retries.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    const again = retries.get(request);
    const session = currentSession();
    if (response.status !== 401 || again === undefined || session === null) return response;
    // The token was refused before it expired (the key rotated, the clock is off): rotate once.
    try {
      const fresh = await refreshSession(refreshTokens, session.refreshToken);
      again.headers.set("Authorization", `Bearer ${fresh.accessToken}`);
      return await fetch(again);
    } catch (error) {
      if (error instanceof SessionExpired) return response;
      throw error;
    }
  },
};

export const api = createClient<paths>({
  baseUrl: globalThis.location.origin,
  // Looked up on every call rather than captured once, so tests can stand in for the network.
  fetch: (request) => globalThis.fetch(request),
});
api.use(authentication);

/** The body of a successful answer, or an ApiError with the API's message and fields. */
export async function data<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data: body, error, response } = await request;
  if (!response.ok || error !== undefined) throw ApiError.from(response, error);
  return body as T;
}
