// The mail catcher read through its API (/api/dev/*, no sign-in): what reached someone's inbox,
// and the link in it a person would open.
import type { APIRequestContext } from "@playwright/test";
import { expect } from "./test";

interface Caught {
  id: string;
  to: string[];
  subject: string;
}

/** The text of the newest message to `to` with this subject, once the catcher has it. */
export async function caughtText(request: APIRequestContext, to: string, subject: string): Promise<string> {
  let found: Caught | undefined;
  await expect
    .poll(async () => {
      const inbox = await request.get("/api/dev/inbox", { params: { q: to, page_size: 100 } });
      const items = ((await inbox.json()) as { items: Caught[] }).items;
      found = items.find((item) => item.to.includes(to) && item.subject === subject);
      return found !== undefined;
    }, { timeout: 30_000, message: `"${subject}" to ${to} in the mail catcher` })
    .toBe(true);
  const message = await request.get(`/api/dev/inbox/${encodeURIComponent(found?.id ?? "")}`);
  return ((await message.json()) as { text: string }).text;
}

/** The link in a message to one of the web app's pages ("/verify-email", "/reset-password"). */
export function linkTo(text: string, page: string): string {
  const link = new RegExp(`https?://\\S+${page}\\?token=\\S+`).exec(text)?.[0];
  if (link === undefined) throw new Error(`no ${page} link in:\n${text}`);
  return link;
}

export const VERIFY_SUBJECT = "Confirm your email address for ECCS";
export const RESET_SUBJECT = "Reset your ECCS password";

/** The link that confirms `email`, from the message ECCS sent to it. */
export async function verificationLink(request: APIRequestContext, email: string): Promise<string> {
  return linkTo(await caughtText(request, email, VERIFY_SUBJECT), "/verify-email");
}
