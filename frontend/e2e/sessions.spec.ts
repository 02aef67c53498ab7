// Signing out and in again, a wrong password, and a deep link visited while signed out.
import { apiToken } from "./support/api";
import { navLink } from "./support/nav";
import { expectSignedIn, fillSignIn, newPerson, signUp } from "./support/people";
import { expect, snap, test } from "./support/test";

test("sign out, a wrong password, then sign in again", async ({ page, consoleGuard }) => {
  const me = newPerson("returning");
  await signUp(page, me);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();

  // The browser reports the refused login as a failed request: expected here, and only here.
  consoleGuard.allow(/status of 401.*\/api\/auth\/login/);
  await fillSignIn(page, { email: me.email, password: "not-my-password-at-all" });
  await expect(page.getByRole("alert")).toContainText("Wrong email or password.");
  await snap(page, "sign-in-wrong-password");

  await fillSignIn(page, me);
  await expectSignedIn(page);
  await expect(page).toHaveURL(/\/$/);
});

test("a deep link while signed out goes to sign-in and comes back afterwards", async ({ page, request }) => {
  const me = newPerson("linked");
  await apiToken(request, me, { register: true });

  await page.goto("/emails?status=failed");
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await snap(page, "sign-in");
  await fillSignIn(page, me);

  await expect(page).toHaveURL(/\/emails\?status=failed$/);
  await expect(page.getByRole("heading", { level: 1, name: "Sent" })).toBeVisible();
});

test("the sign-in page links to sign-up", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create account" })).toBeVisible();
  await snap(page, "sign-up");
});

test("a session that can no longer be renewed returns to sign-in, which comes back to the page", async ({ page, consoleGuard }) => {
  const me = newPerson("lapsed");
  await signUp(page, me);
  await navLink(page, "Templates").click();
  await expect(page.getByRole("heading", { level: 1, name: "Templates" })).toBeVisible();

  // The sign-in is revoked behind the app's back (as signing out elsewhere or a password reset
  // would), and its access token is due for renewal.
  await page.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem("eccs.session") ?? "{}") as {
      accessToken: string;
      refreshToken: string;
      expiresAt: number;
    };
    const revoked = await fetch("/api/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify({ refresh_token: session.refreshToken }),
    });
    if (revoked.status !== 204) throw new Error(`logout answered ${revoked.status}`);
    localStorage.setItem("eccs.session", JSON.stringify({ ...session, expiresAt: Date.now() }));
  });

  consoleGuard.allow(/status of 401.*\/api\/auth\/refresh/);
  await navLink(page, "Contacts").click();
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fcontacts$/);
  await expect(page.getByRole("status")).toContainText("Your session has expired. Sign in to carry on.");
  await snap(page, "sign-in-session-expired");

  await fillSignIn(page, me);
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();
});
