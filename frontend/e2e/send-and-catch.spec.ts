// The first thing anyone does: make an account, send an email, see it delivered and caught.
import type { Page } from "@playwright/test";
import { DELIVERED_WITHIN, recipientsField, section, sendFromCompose, status, subjectFor } from "./support/mail";
import { navLink } from "./support/nav";
import { newPerson, signUp } from "./support/people";
import { expect, snap, test } from "./support/test";

test("a new account sends an email, sees it Sent, and finds it in the mail catcher", async ({ page }) => {
  const me = newPerson("sender");
  await signUp(page, me);

  const subject = subjectFor("Quarterly figures");
  const body = "The quarterly figures are ready; the summary follows on Monday.";
  await navLink(page, "Compose").click();
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await sendFromCompose(page, { to: me.email, subject, body });

  await expect(status(page, "Sent")).toBeVisible({ timeout: DELIVERED_WITHIN });
  await expect(section(page, "Recipients")).toContainText(me.email);
  await expect(section(page, "Delivery timeline")).toBeVisible();
  await snap(page, "email-detail-sent");

  await navLink(page, "Mail catcher").click();
  await expect(page.getByRole("heading", { level: 1, name: "Mail catcher" })).toBeVisible();
  const caught = page.getByRole("link", { name: subject });
  await expect(caught).toBeVisible();
  await snap(page, "mail-catcher");

  await caught.click();
  await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await view(page, "Text").click();
  await expect(page.getByRole("main")).toContainText(body);
  await snap(page, "mail-catcher-message");

  await view(page, "Raw source").click();
  await expect(page.getByRole("main")).toContainText(`Subject: ${subject}`);
  await expect(page.getByRole("main")).toContainText("MIME-Version: 1.0");
});

/** The message page's views: tabs, or plain buttons that switch between them. */
function view(page: Page, name: string) {
  return page.getByRole("tab", { name, exact: true }).or(page.getByRole("button", { name, exact: true }));
}

test("HTML is shown styled in a sandboxed frame, and a tracking pixel is never fetched", async ({ page, consoleGuard }) => {
  // Looking inside the frames makes Playwright try its own script there, which the sandbox
  // refuses and Chromium reports; the app itself runs no script in them.
  consoleGuard.allow(/^Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed/);
  const me = newPerson("designer");
  await signUp(page, me);
  const remote: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(new URL(page.url()).origin)) remote.push(request.url());
  });

  const subject = subjectFor("Newsletter");
  await page.goto("/compose");
  const to = recipientsField(page, "To");
  await to.fill(me.email);
  await to.press("Enter");
  await page.getByLabel("Subject", { exact: true }).fill(subject);
  await page.getByRole("radio", { name: "HTML" }).check();
  await page
    .getByLabel("Body", { exact: true })
    .fill('<h1 style="color: rgb(200, 0, 0)">Big news</h1><img src="https://tracker.example/p.gif" alt="pixel">');
  const preview = page.frameLocator("iframe[title='Preview of the HTML body']");
  await expect(preview.getByRole("heading", { name: "Big news" })).toHaveCSS("color", "rgb(200, 0, 0)");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByRole("main").getByRole("link", { name: "Open the email" }).click();

  const body = page.locator("iframe.html-frame");
  await expect(body).toHaveAttribute("sandbox", "");
  await expect(page.frameLocator("iframe.html-frame").getByRole("heading", { name: "Big news" })).toBeVisible();
  await expect(page.getByText(/Remote images and styles were not loaded/)).toBeVisible();
  await expect(status(page, "Sent")).toBeVisible({ timeout: DELIVERED_WITHIN });
  await snap(page, "email-detail-html");
  expect(remote).toEqual([]);
});
