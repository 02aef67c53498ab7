// The signed-in session, shared by every tab of the app.
//
// Where the tokens are kept, and why: the access token (15 minutes) and the refresh token are in
// localStorage under one key. Every tab must see a rotation another tab made (refresh tokens are
// single-use), and a reload must not sign the user out; memory alone can do neither, and an
// httpOnly cookie would need the API to take cookies and defend against CSRF, while the same API
// serves programs with bearer tokens. What guards the tokens instead: the strict
// Content-Security-Policy (scripts only from the app's own origin, no inline script, no eval),
// React's escaping, HTML bodies only in a sandboxed iframe, refresh tokens that rotate on every
// use and revoke their whole family when one is replayed, and sign-out that revokes server-side.
import type { Session, User } from "../api/types";

const KEY = "eccs.session";
/**
 * Refresh a minute before the access token expires (a quarter of its life when that is shorter),
 * so no request goes out with a token about to lapse, and short-lived tokens are not refreshed on
 * every request.
 */
function refreshDue(session: StoredSession, now: number): boolean {
  const margin = Math.min(60_000, (session.expiresAt - session.issuedAt) / 4);
  return session.expiresAt - now <= margin;
}

export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token stops being accepted. */
  expiresAt: number;
  /** Epoch milliseconds when this tab received the access token. */
  issuedAt: number;
  user: User;
}

export type EndReason = "signed-out" | "expired" | "deleted";

type Listener = () => void;
const listeners = new Set<Listener>();
let cached: { raw: string | null; session: StoredSession | null } = { raw: null, session: null };

function parse(raw: string | null): StoredSession | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<StoredSession>;
    const complete =
      typeof value.accessToken === "string" &&
      typeof value.refreshToken === "string" &&
      typeof value.expiresAt === "number" &&
      typeof value.issuedAt === "number";
    if (!complete) {
      return null;
    }
    return value as StoredSession;
  } catch {
    return null;
  }
}

/** The current session; the same object until it changes (what useSyncExternalStore needs). */
export function currentSession(): StoredSession | null {
  const raw = localStorage.getItem(KEY);
  if (raw !== cached.raw) cached = { raw, session: parse(raw) };
  return cached.session;
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}

// Another tab signed in, refreshed or signed out.
window.addEventListener("storage", (event) => {
  if (event.key === KEY || event.key === null) notify();
});

export function fromResponse(session: Session, now = Date.now()): StoredSession {
  return {
    accessToken: session.access_token,
    refreshToken: session.refresh_token,
    expiresAt: now + session.expires_in * 1000,
    issuedAt: now,
    user: session.user,
  };
}

export function startSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(fromResponse(session)));
  sessionStorage.removeItem(END_KEY);
  notify();
}

const END_KEY = "eccs.session.ended";

export function endSession(reason: EndReason): void {
  localStorage.removeItem(KEY);
  sessionStorage.setItem(END_KEY, reason);
  notify();
}

/** Why the last session of this tab ended, if it did; read once by the sign-in page. */
export function takeEndReason(): EndReason | null {
  const reason = sessionStorage.getItem(END_KEY);
  sessionStorage.removeItem(END_KEY);
  return reason === "expired" || reason === "signed-out" || reason === "deleted" ? reason : null;
}

export class SessionExpired extends Error {
  constructor() {
    super("Your session has expired. Sign in again.");
    this.name = "SessionExpired";
  }
}

type Refresher = (refreshToken: string) => Promise<Session | "rejected">;

let inFlight: Promise<StoredSession> | null = null;

/**
 * An access token that is not about to expire, refreshing it first when needed.
 *
 * Done once however many requests and tabs want it at the same moment: within a tab the
 * requests share one promise, and across tabs a Web Lock lets one tab refresh while the others
 * wait, then find the new tokens in localStorage and use them instead of refreshing again.
 */
export async function accessToken(refresher: Refresher, now = Date.now): Promise<string> {
  const session = currentSession();
  if (session === null) throw new SessionExpired();
  if (!refreshDue(session, now())) return session.accessToken;
  return (await refreshSession(refresher, session.refreshToken)).accessToken;
}

/** Rotate the tokens (after a 401, or when they are about to expire). */
export function refreshSession(
  refresher: Refresher,
  staleRefreshToken: string,
): Promise<StoredSession> {
  inFlight ??= acrossTabs(() => rotate(refresher, staleRefreshToken)).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

async function rotate(refresher: Refresher, staleRefreshToken: string): Promise<StoredSession> {
  const session = currentSession();
  if (session === null) throw new SessionExpired();
  // Another tab rotated while this one waited for the lock: its tokens are ours too.
  if (session.refreshToken !== staleRefreshToken) return session;
  const answer = await refresher(session.refreshToken);
  if (answer === "rejected") {
    endSession("expired");
    throw new SessionExpired();
  }
  startSession(answer);
  const fresh = currentSession();
  if (fresh === null) throw new SessionExpired();
  return fresh;
}

function acrossTabs<T>(work: () => Promise<T>): Promise<T> {
  // Web Locks exist in every browser the app supports; test environments may lack them.
  if (typeof navigator.locks === "undefined") return work();
  return navigator.locks.request("eccs.session.refresh", work) as Promise<T>;
}
