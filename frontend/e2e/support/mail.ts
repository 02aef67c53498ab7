// Sending through the Compose screen and reading the outcome on the email's page.
import type { Locator, Page } from "@playwright/test";
import { expect } from "./test";

export interface Outgoing {
  to: string;
  subject: string;
  body: string;
}

/** A subject no other test uses, so lists can be searched for it. */
export function subjectFor(what: string): string {
  return `${what} ${Date.now().toString(36)}`;
}

/**
 * A recipients field ("To", "Cc", "Bcc"): a combobox offering contacts, or a plain text box.
 * (Its suggestion list carries the same label, so the label alone names two elements.)
 */
export function recipientsField(page: Page, name: string): Locator {
  return page
    .getByRole("combobox", { name, exact: true })
    .or(page.getByRole("textbox", { name, exact: true }));
}

/** Fills Compose, sends, and follows "Open the email" to the email's own page. */
export async function sendFromCompose(page: Page, mail: Outgoing): Promise<void> {
  await page.goto("/compose");
  const to = recipientsField(page, "To");
  await to.fill(mail.to);
  await to.press("Enter");
  await page.getByLabel("Subject", { exact: true }).fill(mail.subject);
  await page.getByLabel("Body", { exact: true }).fill(mail.body);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  // The outcome is announced (a status region), with a way to the email's page.
  await expect(page.getByRole("main").getByRole("status").first()).toBeVisible();
  await page.getByRole("main").getByRole("link", { name: "Open the email" }).click();
  await expect(page.getByRole("heading", { level: 1, name: mail.subject })).toBeVisible();
}

/** The status word of the email's page (the badge), once it shows `word`. */
export function status(page: Page, word: string): Locator {
  return page.getByRole("main").getByText(word, { exact: true }).first();
}

/** A part of the email's page, found by its heading ("Recipients", "Delivery timeline"). */
export function section(page: Page, heading: string): Locator {
  return page
    .getByRole("main")
    .locator("section, [role=region]")
    .filter({ has: page.getByRole("heading", { name: heading }) })
    .last();
}

// Delivery takes a relay hop, a consumer poll and the SMTP exchange; retries add their backoff.
export const DELIVERED_WITHIN = 30_000;
