// The web app as the compose stack serves it: nginx behind the gateway, the API through
// forward-auth, rate limits and breakers, delivery by the notification workers to the catcher.
import { DELIVERED_WITHIN, section, sendFromCompose, status, subjectFor } from "../support/mail";
import { navLink } from "../support/nav";
import { newPerson, signIn, signUp } from "../support/people";
import { expect, snap, test } from "../support/test";

test("through the gateway: sign up, sign in again, send, and see it Sent", async ({ page }) => {
  const me = newPerson("stack");
  await signUp(page, me);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, me);

  const subject = subjectFor("Through the gateway");
  await navLink(page, "Compose").click();
  await sendFromCompose(page, { to: me.email, subject, body: "Sent through Traefik and Kafka." });

  await expect(status(page, "Sent")).toBeVisible({ timeout: DELIVERED_WITHIN });
  await expect(section(page, "Recipients")).toContainText(me.email);
  await snap(page, "stack-email-sent");
});
