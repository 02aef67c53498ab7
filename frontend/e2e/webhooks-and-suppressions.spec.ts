// What programs and recipients rely on besides delivery: a recipient unsubscribing through the
// link in an email (and the sender's next email to them not sent), and a webhook endpoint getting
// its secret once, then signed events a real receiver verifies, retried until it answers.
import type { Page } from "@playwright/test";
import { DELIVERED_WITHIN, recipientsField, section, sendFromCompose, status, subjectFor } from "./support/mail";
import { navLink } from "./support/nav";
import { newPerson, signIn, signUp } from "./support/people";
import { Receiver } from "./support/receiver";
import { expect, snap, test } from "./support/test";

/** Sends from Compose with a one-click unsubscribe link, and opens the email's page. */
async function sendWithUnsubscribeLink(page: Page, to: string, subject: string): Promise<void> {
  await page.goto("/compose");
  const field = recipientsField(page, "To");
  await field.fill(to);
  await field.press("Enter");
  await page.getByLabel("Subject", { exact: true }).fill(subject);
  await page.getByLabel("Body", { exact: true }).fill("What happened this month, in three lines.");
  await page.getByRole("checkbox", { name: "Add a one-click unsubscribe link" }).check();
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByRole("main").getByRole("link", { name: "Open the email" }).click();
  await expect(status(page, "Sent")).toBeVisible({ timeout: DELIVERED_WITHIN });
}

/** The raw source of the caught message with this subject, as the mail catcher shows it. */
async function rawSource(page: Page, subject: string): Promise<string> {
  await navLink(page, "Mail catcher").click();
  await page.getByRole("link", { name: subject }).click();
  await page.getByRole("tab", { name: "Raw source", exact: true }).click();
  const raw = page.getByRole("main").locator("pre.raw-source");
  await expect(raw).toContainText(`Subject: ${subject}`);
  return (await raw.textContent()) ?? "";
}

test("a recipient unsubscribes through the email's link, after confirming, and is not sent the next one", async ({ page }) => {
  const me = newPerson("newsletter");
  await signUp(page, me);
  const reader = `reader.${Date.now().toString(36)}@example.com`;
  const subject = subjectFor("November news");
  await sendWithUnsubscribeLink(page, reader, subject);

  const raw = await rawSource(page, subject);
  expect(raw).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
  const link = /List-Unsubscribe:\s*<(https?:\/\/[^>\s]+)>/.exec(raw)?.[1];
  expect(link, "the List-Unsubscribe link").toMatch(/\/api\/unsubscribe\/[\w-]+$/);

  // The recipient has no account here: the link opens a page that asks before it does anything.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto(link ?? "");
  await expect(page).toHaveURL(/\/unsubscribe\/[\w-]+$/);
  await expect(page.getByRole("heading", { level: 1, name: "Unsubscribe" })).toBeVisible();
  await snap(page, "unsubscribe-asks-first");
  await page.getByRole("button", { name: "Unsubscribe" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "You are unsubscribed" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText(`${reader} will get no more email from ${me.name}`);
  await snap(page, "unsubscribed");

  // The sender's next email to that address is not sent, and the page says why.
  await signIn(page, me);
  await sendFromCompose(page, { to: reader, subject: subjectFor("December news"), body: "More news." });
  await expect(status(page, "Failed")).toBeVisible({ timeout: DELIVERED_WITHIN });
  const recipients = section(page, "Recipients");
  await expect(recipients).toContainText("Suppressed");
  await expect(recipients).toContainText("Not sent: on your suppression list");
  await snap(page, "email-detail-suppressed");

  // The suppression list has it, with the reason; taken off it, the address gets email again.
  await recipients.getByRole("link", { name: "suppression list" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Suppressions" })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: reader });
  await expect(row).toContainText("Unsubscribed");
  await snap(page, "suppressions");
  await row.getByRole("button", { name: `Remove ${reader}` }).click();
  await page.getByRole("dialog", { name: "Take this address off your list?" }).getByRole("button", { name: "Remove" }).click();
  await expect(page.getByText(`Your emails are sent to ${reader} again.`)).toBeVisible();
  await expect(page.getByText("No suppressed addresses")).toBeVisible();
  await sendFromCompose(page, { to: reader, subject: subjectFor("January news"), body: "Welcome back." });
  await expect(status(page, "Sent")).toBeVisible({ timeout: DELIVERED_WITHIN });
});

test("a webhook endpoint shows its secret once and gets signed events, retried until it answers", async ({ page }) => {
  const receiver = await Receiver.start();
  // The first request fails: the dispatcher tries again within seconds.
  receiver.answers = [503];
  try {
    const me = newPerson("hooks");
    await signUp(page, me);
    await navLink(page, "Webhooks").click();
    await page.getByLabel("URL", { exact: true }).fill(receiver.url);
    await page.getByLabel("Description", { exact: true }).fill("Order system");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const shown = page.getByRole("region", { name: `Signing secret for ${receiver.url}` });
    const secret = await shown.getByLabel("The signing secret").inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await snap(page, "webhook-secret-shown-once");
    await shown.getByRole("button", { name: "Done" }).click();
    await expect(shown).toHaveCount(0);
    await page.reload();
    await expect(page.getByRole("link", { name: receiver.url })).toBeVisible();
    await expect(page.getByRole("main")).not.toContainText(secret);

    // An email delivered: its event reaches the receiver signed with that secret, the failed
    // request and its retry with the same webhook-id.
    await sendFromCompose(page, { to: me.email, subject: subjectFor("Order shipped"), body: "On its way." });
    await expect(status(page, "Sent")).toBeVisible({ timeout: DELIVERED_WITHIN });
    const failed = await receiver.request(1);
    const retried = await receiver.request(2);
    expect(failed.event.type).toBe("email.sent");
    expect(failed.event.data.recipient).toBe(me.email);
    expect(retried.id).toBe(failed.id);
    expect(Receiver.signedWith(retried, secret)).toBe(true);
    expect(Receiver.signedWith(retried, `whsec_${"A".repeat(43)}=`)).toBe(false);

    // The endpoint's page shows the delivery with both attempts, and re-sends it.
    await navLink(page, "Webhooks").click();
    await page.getByRole("link", { name: receiver.url }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Order system" })).toBeVisible();
    const delivery = page.getByRole("listitem").filter({ hasText: "email.sent" });
    await expect(delivery).toContainText("Delivered");
    await delivery.getByText("2 attempts").click();
    await expect(delivery).toContainText("503");
    await expect(delivery).toContainText("answered 200");
    await snap(page, "webhook-endpoint-deliveries");
    await delivery.getByRole("button", { name: /^Re-send the email.sent event/ }).click();
    await expect(page.getByText("The email.sent event is on its way again.")).toBeVisible();
    expect((await receiver.request(3)).id).toBe(failed.id);

    // A rotated secret is shown once; while the previous one still signs, requests carry both.
    await page.getByRole("button", { name: "Rotate the secret" }).click();
    const rotated = await page.getByLabel("The new signing secret").inputValue();
    expect(rotated).not.toBe(secret);
    await page.getByRole("button", { name: "Send a test event" }).click();
    const probe = await receiver.request(4);
    expect(probe.event.type).toBe("webhook.test");
    expect(Receiver.signedWith(probe, rotated)).toBe(true);
    expect(Receiver.signedWith(probe, secret)).toBe(true);
    await expect(page.getByRole("listitem").filter({ hasText: "test event" })).toContainText("Delivered");
  } finally {
    await receiver.close();
  }
});
