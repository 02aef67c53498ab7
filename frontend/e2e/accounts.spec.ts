// Accounts for real use, in the browser: confirming the address through the mail catcher, a new
// link from the banner, a forgotten password, name and password changes, API keys, the data
// download, and deleting the account.
import { readFileSync } from "node:fs";
import { apiToken } from "./support/api";
import { caughtText, linkTo, RESET_SUBJECT, VERIFY_SUBJECT } from "./support/inbox";
import { recipientsField, section, sendFromCompose, subjectFor } from "./support/mail";
import { navLink } from "./support/nav";
import { expectSignedIn, fillSignIn, fillSignUp, newPerson, signIn, signUp } from "./support/people";
import { expect, snap, test } from "./support/test";

test("a new account confirms its address through the mail catcher, then sends", async ({ page, consoleGuard }) => {
  const me = newPerson("newcomer");
  await fillSignUp(page, me);
  await expect(page.getByRole("main")).toContainText(me.email);
  await snap(page, "sign-up-check-your-inbox");

  await page.getByRole("link", { name: "Sign in" }).click();
  await fillSignIn(page, me);
  await expectSignedIn(page);
  const banner = page.getByRole("region", { name: "Confirm your address." });
  await expect(banner).toContainText("you cannot send email");
  await snap(page, "unconfirmed-banner");

  // Sending is refused, and says why (the browser logs the 403 as an error).
  consoleGuard.allow(/status of 403.*\/api\/emails\/send/);
  await page.goto("/compose");
  const to = recipientsField(page, "To");
  await to.fill(me.email);
  await to.press("Enter");
  await page.getByLabel("Subject", { exact: true }).fill("Too soon");
  await page.getByLabel("Body", { exact: true }).fill("Not yet.");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByRole("main").getByRole("alert").first()).toContainText("Verify your email address");

  // The message, found in the mail catcher as a person would find it; its link opened.
  await navLink(page, "Mail catcher").click();
  await page.getByRole("link", { name: VERIFY_SUBJECT }).first().click();
  await page.getByRole("tab", { name: "Text", exact: true }).click();
  const text = (await page.getByRole("main").locator("pre").first().textContent()) ?? "";
  await page.goto(linkTo(text, "/verify-email"));
  await expect(page.getByRole("heading", { level: 1, name: "Address confirmed" })).toBeVisible();
  await snap(page, "address-confirmed");

  await page.getByRole("link", { name: "Go to the dashboard" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(banner).toHaveCount(0);
  await sendFromCompose(page, { to: me.email, subject: subjectFor("Confirmed"), body: "Now it goes." });
});

test("the banner sends a new link, and a used link says so", async ({ page, consoleGuard }) => {
  const me = newPerson("resender");
  await fillSignUp(page, me);
  const first = linkTo(await caughtText(page.request, me.email, VERIFY_SUBJECT), "/verify-email");
  await signIn(page, me);

  await page.getByRole("button", { name: "Send a new link" }).click();
  await expect(page.getByRole("region", { name: "Confirm your address." })).toContainText(`A new link is on its way to ${me.email}.`);
  await expect.poll(async () => {
    const inbox = await page.request.get("/api/dev/inbox", { params: { q: me.email } });
    return ((await inbox.json()) as { total: number }).total;
  }).toBe(2);

  await page.goto(first);
  await expect(page.getByRole("heading", { level: 1, name: "Address confirmed" })).toBeVisible();
  consoleGuard.allow(/status of 422.*\/api\/auth\/verify-email/);
  await page.goto(first);
  await expect(page.getByRole("heading", { level: 1, name: "This link does not work" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("already used");
});

test("a forgotten password is reset through the emailed link", async ({ page, request, consoleGuard }) => {
  const me = newPerson("forgetful");
  await apiToken(request, me, { register: true });

  await page.goto("/sign-in");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email", { exact: true }).fill(me.email);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();
  await snap(page, "forgot-password-sent");

  await page.goto(linkTo(await caughtText(request, me.email, RESET_SUBJECT), "/reset-password"));
  const fresh = "remembered-at-last-42";
  await page.getByLabel("New password", { exact: true }).fill(fresh);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Password changed" })).toBeVisible();

  consoleGuard.allow(/status of 401.*\/api\/auth\/login/);
  await page.getByRole("link", { name: "Sign in" }).click();
  await fillSignIn(page, me);
  await expect(page.getByRole("alert")).toContainText("Wrong email or password.");
  await fillSignIn(page, { email: me.email, password: fresh });
  await expectSignedIn(page);
});

test("the account page changes the name and the password", async ({ page, consoleGuard }) => {
  const me = newPerson("renamed");
  await signUp(page, me);
  await navLink(page, "Account").click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();

  const name = page.getByRole("region", { name: "Name" });
  await name.getByLabel("Display name").fill("Ada Lovelace");
  await name.getByRole("button", { name: "Save the name" }).click();
  await expect(name).toContainText("Saved. Other devices were signed out.");
  await expect(page.locator(".user-name")).toHaveText("Ada Lovelace");

  consoleGuard.allow(/status of 422.*\/api\/auth\/password/);
  const password = page.getByRole("region", { name: "Password" });
  await password.getByLabel("Current password").fill("not-my-password-at-all");
  await password.getByLabel("New password").fill("a-brand-new-passphrase");
  await password.getByRole("button", { name: "Change the password" }).click();
  await expect(password).toContainText("is not your current password");
  await password.getByLabel("Current password").fill(me.password);
  await password.getByRole("button", { name: "Change the password" }).click();
  await expect(password).toContainText("Password changed.");
  await snap(page, "account");

  // Still signed in here, with the new password working from now on.
  await page.reload();
  await expectSignedIn(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, { email: me.email, password: "a-brand-new-passphrase" });
});

test("an API key is made, shown once, sends, and is refused once revoked", async ({ page, request }) => {
  const me = newPerson("developer");
  await signUp(page, me);
  await navLink(page, "API keys").click();
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();

  await page.getByLabel("Name", { exact: true }).fill("nightly job");
  await page.getByRole("button", { name: "Make the key" }).click();
  const shown = page.getByRole("region", { name: "Your new key “nightly job”" });
  const key = await shown.getByLabel("The key").inputValue();
  expect(key).toMatch(/^eccs_[\w-]{43}$/);
  await snap(page, "api-key-made");
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(shown).toHaveCount(0);
  await expect(page.getByRole("table")).toContainText(key.slice(0, 13));
  await expect(page.getByRole("table")).not.toContainText(key);

  const subject = subjectFor("From the nightly job");
  const sent = await request.post("/api/emails/send", {
    headers: { Authorization: `Bearer ${key}` },
    data: { to: [me.email], subject, text: "Sent by a program." },
  });
  expect(sent.status(), await sent.text()).toBe(202);
  const { id } = (await sent.json()) as { id: string };
  await page.goto(`/emails/${id}`);
  await expect(page.getByRole("main")).toContainText("the API key “nightly job”");
  await expect(section(page, "Delivery timeline")).toContainText('with the API key "nightly job"');

  await navLink(page, "API keys").click();
  await page.getByRole("button", { name: "Revoke nightly job" }).click();
  await page.getByRole("dialog", { name: "Revoke this key?" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("main")).toContainText("Revoked “nightly job”: it no longer works.");
  const refused = await request.post("/api/emails/send", {
    headers: { Authorization: `Bearer ${key}` },
    data: { to: [me.email], subject, text: "Too late." },
  });
  expect(refused.status()).toBe(401);
});

test("the data is downloaded, then the account deleted", async ({ page, consoleGuard }) => {
  const me = newPerson("leaving");
  await signUp(page, me);
  await navLink(page, "Account").click();

  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download your data" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^eccs-export-\d{4}-\d{2}-\d{2}\.json$/);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8")) as { profile: { email: string } };
  expect(exported.profile.email).toBe(me.email);

  const deletion = page.getByRole("region", { name: "Delete the account" });
  await deletion.getByLabel("Your password").fill(me.password);
  await deletion.getByRole("button", { name: "Delete my account" }).click();
  await page.getByRole("dialog", { name: "Delete your account?" }).getByRole("button", { name: "Delete everything" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Your account and everything in it were deleted.");
  await snap(page, "account-deleted");

  consoleGuard.allow(/status of 401.*\/api\/auth\/login/);
  await fillSignIn(page, me);
  await expect(page.getByRole("alert")).toContainText("Wrong email or password.");
});
