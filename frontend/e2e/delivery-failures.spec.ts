// What the email's page says when delivery goes wrong: a server that is down (451, retried until
// the attempts run out) and one that refuses (550, failed at once). The mail catcher answers
// @down.test and @fail.test so; the suite runs with 3 attempts and 1-2 s between them.
import { apiGet, apiToken } from "./support/api";
import { DELIVERED_WITHIN, section, sendFromCompose, status, subjectFor } from "./support/mail";
import { newPerson, signUp } from "./support/people";
import { expect, snap, test } from "./support/test";

/** The id in the email page's address (/emails/<id>). */
function emailId(url: string): string {
  return new URL(url).pathname.split("/").pop() ?? "";
}

test("a recipient whose server is down: retried with the 451 reply, then Failed", async ({ page, request }) => {
  const me = newPerson("patient");
  await signUp(page, me);
  const subject = subjectFor("Server down");
  await sendFromCompose(page, { to: `someone@down.test`, subject, body: "Will this ever arrive?" });

  await expect(status(page, "Failed")).toBeVisible({ timeout: DELIVERED_WITHIN });
  const timeline = section(page, "Delivery timeline");
  // Every attempt was deferred with the server's 451, and the page says so for each of them.
  await expect.poll(() => timeline.getByText(/\b451\b/).count()).toBeGreaterThanOrEqual(2);
  await snap(page, "email-detail-failed-after-retries");

  const email = await apiGet(request, await apiToken(request, me), `/api/emails/${emailId(page.url())}`);
  expect(email.attempts).toBe(3);
});

test("a recipient that refuses: Failed at once with the 550 reply", async ({ page, request }) => {
  const me = newPerson("refused");
  await signUp(page, me);
  const subject = subjectFor("Refused");
  await sendFromCompose(page, { to: "nobody@fail.test", subject, body: "This one bounces." });

  await expect(status(page, "Failed")).toBeVisible({ timeout: DELIVERED_WITHIN });
  await expect(section(page, "Delivery timeline")).toContainText(/\b550\b/);
  await expect(section(page, "Recipients")).toContainText("nobody@fail.test");
  await snap(page, "email-detail-refused");

  const email = await apiGet(request, await apiToken(request, me), `/api/emails/${emailId(page.url())}`);
  expect(email.attempts).toBe(1);
});
