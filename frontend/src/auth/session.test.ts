import type { Session } from "../api/types";
import {
  accessToken,
  currentSession,
  refreshSession,
  SessionExpired,
  startSession,
  takeEndReason,
} from "./session";

const user = {
  id: "u1",
  email: "ada@example.com",
  name: "Ada",
  role: "user" as const,
  email_verified: true,
};

function issued(access: string, refresh: string, expiresIn = 900): Session {
  return {
    access_token: access,
    refresh_token: refresh,
    token_type: "bearer",
    expires_in: expiresIn,
    user,
  };
}

describe("access tokens", () => {
  it("uses the stored token while it is fresh, without refreshing", async () => {
    startSession(issued("a1", "r1"));
    const refresher = vi.fn();
    expect(await accessToken(refresher)).toBe("a1");
    expect(refresher).not.toHaveBeenCalled();
  });

  it("refreshes once for many requests at the same moment", async () => {
    startSession(issued("a1", "r1", 30));
    const later = () => Date.now() + 25_000; // inside the last quarter of a 30 s token
    const refresher = vi.fn(() => Promise.resolve(issued("a2", "r2")));
    const tokens = await Promise.all([1, 2, 3].map(() => accessToken(refresher, later)));
    expect(tokens).toEqual(["a2", "a2", "a2"]);
    expect(refresher).toHaveBeenCalledTimes(1);
    expect(refresher).toHaveBeenCalledWith("r1");
    expect(currentSession()?.refreshToken).toBe("r2");
  });

  it("takes the tokens another tab already rotated instead of spending the old one", async () => {
    startSession(issued("a1", "r1"));
    // Another tab rotated while this one was deciding to: storage has moved on from r1.
    startSession(issued("a2", "r2"));
    const refresher = vi.fn();
    const fresh = await refreshSession(refresher, "r1");
    expect(fresh.accessToken).toBe("a2");
    expect(refresher).not.toHaveBeenCalled();
  });

  it("ends the session as expired when the refresh token is refused", async () => {
    startSession(issued("a1", "r1"));
    await expect(refreshSession(() => Promise.resolve("rejected"), "r1")).rejects.toBeInstanceOf(
      SessionExpired,
    );
    expect(currentSession()).toBeNull();
    expect(takeEndReason()).toBe("expired");
    expect(takeEndReason()).toBeNull();
  });

  it("keeps the session when the refresh fails for another reason (offline)", async () => {
    startSession(issued("a1", "r1"));
    await expect(
      refreshSession(() => Promise.reject(new TypeError("Failed to fetch")), "r1"),
    ).rejects.toBeInstanceOf(TypeError);
    expect(currentSession()?.refreshToken).toBe("r1");
  });

  it("signals a missing session", async () => {
    await expect(accessToken(vi.fn())).rejects.toBeInstanceOf(SessionExpired);
  });
});
