// The API used directly, to put data in place or read a fact the screens show in their own words
// (the screens under test are not the way in).
import type { APIRequestContext } from "@playwright/test";
import { verificationLink } from "./inbox";
import type { Person } from "./people";
import { expect } from "./test";

/**
 * An access token for `person`, registering the account first when asked to: as a person does,
 * by following the link the mail catcher caught, then signing in.
 */
export async function apiToken(
  request: APIRequestContext,
  person: Person,
  { register = false } = {},
): Promise<string> {
  if (register) {
    const registered = await request.post("/api/auth/register", { data: person });
    expect(registered.status(), await registered.text()).toBe(202);
    const token = new URL(await verificationLink(request, person.email)).searchParams.get("token");
    const verified = await request.post("/api/auth/verify-email", { data: { token } });
    expect(verified.ok(), await verified.text()).toBe(true);
  }
  const response = await request.post("/api/auth/login", {
    data: { email: person.email, password: person.password },
  });
  expect(response.ok(), `/api/auth/login: ${await response.text()}`).toBe(true);
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

export async function apiPost(
  request: APIRequestContext,
  token: string,
  path: string,
  data: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await request.post(path, { data, headers: { Authorization: `Bearer ${token}` } });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

export async function apiGet(
  request: APIRequestContext,
  token: string,
  path: string,
): Promise<Record<string, unknown>> {
  const response = await request.get(path, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

/** Sends through the API and returns the new email's id. */
export async function sendViaApi(
  request: APIRequestContext,
  token: string,
  mail: { to: string; subject: string; text: string },
): Promise<string> {
  const sent = await apiPost(request, token, "/api/emails/send", { ...mail, to: [mail.to] });
  return String(sent.id);
}

/** Waits until the email's status is `wanted` (e.g. an @down.test email using up its attempts). */
export async function waitForStatus(
  request: APIRequestContext,
  token: string,
  id: string,
  wanted: string,
): Promise<Record<string, unknown>> {
  let email: Record<string, unknown> = {};
  await expect
    .poll(async () => {
      email = await apiGet(request, token, `/api/emails/${id}`);
      return email.status;
    }, { timeout: 30_000 })
    .toBe(wanted);
  return email;
}
