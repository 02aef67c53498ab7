// An operator's view: an email a user could not deliver lands in Dead letters and is replayed.
import { apiToken, sendViaApi, waitForStatus } from "./support/api";
import { ADMIN } from "./support/eccs";
import { subjectFor } from "./support/mail";
import { navLink } from "./support/nav";
import { newPerson, signIn } from "./support/people";
import { expect, snap, test } from "./support/test";

test("an admin finds a user's exhausted email in Dead letters and replays it", async ({ page, request }) => {
  const user = newPerson("unlucky");
  const token = await apiToken(request, user, { register: true });
  const subject = subjectFor("Never arrives");
  const id = await sendViaApi(request, token, { to: "someone@down.test", subject, text: "Retried until it gives up." });
  await waitForStatus(request, token, id, "failed");

  await signIn(page, ADMIN);
  await navLink(page, "Dead letters").click();
  await expect(page.getByRole("heading", { level: 1, name: "Dead letters" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText(subject);
  await expect(page.getByLabel("Reason", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Since", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Until", { exact: true })).toBeVisible();
  await snap(page, "dead-letters");

  await page.getByRole("button", { name: "Replay", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("How many").fill("1");
  await snap(page, "dead-letters-replay");
  await dialog.getByRole("button", { name: "Replay", exact: true }).click();

  await expect(page.getByRole("status").filter({ hasText: /re-?queued/i })).toContainText(
    /\b1\b[^.]*re-?queued|re-?queued[^.]*\b1\b/i,
  );
});
