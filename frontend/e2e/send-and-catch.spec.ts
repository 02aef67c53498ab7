// The first thing anyone does: make an account, send an email, see it delivered and caught.
import type { Page } from "@playwright/test";
import { DELIVERED_WITHIN, section, sendFromCompose, status, subjectFor } from "./support/mail";
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
