// Signing out and in again, a wrong password, and a deep link visited while signed out.
import { apiToken } from "./support/api";
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
