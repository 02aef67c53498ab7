// Access tokens live 30 s in this suite; the app renews one when a quarter of its life is left
// (after 22.5 s). Two tabs that both need a fresh token at that moment must renew it once between
// them: refresh tokens are single-use, and a second rotation would sign the user out.
import type { Page } from "@playwright/test";
import { expectSignedIn, newPerson, signUp } from "./support/people";
import { expect, test } from "./support/test";

const REFRESH_POINT_MS = 22_500;

async function waitUntil(page: Page, at: number): Promise<void> {
  const left = at - Date.now();
  if (left > 0) await page.waitForTimeout(left);
}

async function shows(page: Page, path: string, heading: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  await page.waitForLoadState("networkidle");
}

test("two tabs past the refresh point renew the session once and both keep working", async ({ context, page }) => {
  test.setTimeout(90_000);
  const refreshes: string[] = [];
  context.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/auth/refresh") {
      refreshes.push(request.url());
    }
  });

  const me = newPerson("tabs");
  await signUp(page, me);
  const signedInAt = Date.now();
  const other = await context.newPage();
  await other.goto("/");
  await expectSignedIn(other);

  await waitUntil(page, signedInAt + REFRESH_POINT_MS - 2_000);
  expect(refreshes, "no refresh while the token has most of its life left").toHaveLength(0);
  await waitUntil(page, signedInAt + REFRESH_POINT_MS + 1_500);

  // Both tabs ask the API for something at the same moment, each with a token due for renewal.
  await Promise.all([shows(page, "/emails", "Sent"), shows(other, "/templates", "Templates")]);
  expect(refreshes, "one refresh across both tabs").toHaveLength(1);

  await Promise.all([shows(page, "/contacts", "Contacts"), shows(other, "/emails", "Sent")]);
  await expectSignedIn(page);
  await expectSignedIn(other);
  expect(refreshes).toHaveLength(1);
});
