// Accounts for the tests: each test makes its own, so tests never share state through one.
import type { Page } from "@playwright/test";
import { verificationLink } from "./inbox";
import { expect } from "./test";

export interface Person {
  name: string;
  email: string;
  password: string;
}

let made = 0;

export function newPerson(label: string): Person {
  made += 1;
  const unique = `${Date.now().toString(36)}${made}`;
  return {
    name: `${label[0]?.toUpperCase() ?? ""}${label.slice(1)} Tester`,
    email: `${label}.${unique}@example.com`,
    password: "copper-kettles-whistle-9",
  };
}

/** Signed in once the app's own chrome (the Sign out button) is there. */
export async function expectSignedIn(page: Page): Promise<void> {
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Fills the sign-up form and waits for its answer: a message to confirm the address. */
export async function fillSignUp(page: Page, person: Person): Promise<void> {
  await page.goto("/sign-up");
  await page.getByLabel("Name", { exact: true }).fill(person.name);
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();
}

/** Signs up as a person does: the form, the link in the email (from the mail catcher), sign in. */
export async function signUp(page: Page, person: Person): Promise<void> {
  await fillSignUp(page, person);
  await page.goto(await verificationLink(page.request, person.email));
  await expect(page.getByRole("heading", { level: 1, name: "Address confirmed" })).toBeVisible();
  await signIn(page, person);
}

export async function fillSignIn(page: Page, person: Pick<Person, "email" | "password">): Promise<void> {
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signIn(page: Page, person: Pick<Person, "email" | "password">): Promise<void> {
  await page.goto("/sign-in");
  await fillSignIn(page, person);
  await expectSignedIn(page);
}
