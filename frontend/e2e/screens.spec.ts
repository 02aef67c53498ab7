// Every main screen on a desktop and on a 390 px phone, in both themes: each must fit the width
// (no sideways scrolling), must pass axe's WCAG 2.1 A/AA checks (contrast included, so in each
// theme), and is saved as a screenshot. On the phone the nav is behind "Menu".
import AxeBuilder from "@axe-core/playwright";
import { request as requests, type Page } from "@playwright/test";
import { apiPost, apiToken, sendViaApi, waitForStatus } from "./support/api";
import { ADMIN, eccsUrl } from "./support/eccs";
import { subjectFor } from "./support/mail";
import { navLink } from "./support/nav";
import { signIn } from "./support/people";
import { expect, snap, test } from "./support/test";

interface Screen {
  name: string;
  /** The nav link that leads there; screens without one are opened by address. */
  link?: string;
  path?: () => string;
  heading?: () => string;
}

let emailId = "";
let endpointId = "";
let batchId = "";
const subject = subjectFor("Screens tour");

const SCREENS: Screen[] = [
  { name: "dashboard", link: "Dashboard" },
  { name: "compose", link: "Compose" },
  { name: "sent", link: "Sent", heading: () => "Sent" },
  { name: "email-detail", path: () => `/emails/${emailId}`, heading: () => subject },
  { name: "templates", link: "Templates", heading: () => "Templates" },
  { name: "contacts", link: "Contacts", heading: () => "Contacts" },
  { name: "suppressions", link: "Suppressions", heading: () => "Suppressions" },
  { name: "webhooks", link: "Webhooks", heading: () => "Webhooks" },
  { name: "webhook-endpoint", path: () => `/webhooks/${endpointId}`, heading: () => "Tour receiver" },
  { name: "batches", path: () => "/emails/batches", heading: () => "Batches" },
  { name: "batch", path: () => `/emails/batches/${batchId}`, heading: () => "Batch" },
  { name: "api-keys", link: "API keys", heading: () => "API keys" },
  { name: "account", link: "Account", heading: () => "Your account" },
  { name: "dead-letters", link: "Dead letters", heading: () => "Dead letters" },
  { name: "mail-catcher", link: "Mail catcher", heading: () => "Mail catcher" },
  // What a recipient's unsubscribe link opens (it asks first: opening it changes nothing). Last:
  // it is a page of its own, without the app's nav.
  { name: "unsubscribe", path: () => `/unsubscribe/${"T".repeat(43)}`, heading: () => "Unsubscribe" },
];

// Something on every screen: a delivered email, a refused one, a template, a contact, a key, a
// webhook endpoint (nothing listens there: its deliveries fail), a suppression and a batch with
// an email refused.
test.beforeAll(async () => {
  const request = await requests.newContext({ baseURL: eccsUrl() });
  const token = await apiToken(request, { ...ADMIN });
  const endpoint = await apiPost(request, token, "/api/webhooks", {
    url: "http://127.0.0.1:9/hooks/eccs",
    events: ["email.sent", "email.failed"],
    description: "Tour receiver",
  });
  endpointId = String(endpoint.id);
  await apiPost(request, token, "/api/suppressions", { address: `gone.${Date.now().toString(36)}@example.com`, detail: "Asked by phone" });
  const batch = await request.post("/api/emails/batch", {
    headers: { Authorization: `Bearer ${token}` },
    data: [
      { to: ["team@example.com"], subject: subjectFor("Batch on the tour"), text: "One of two." },
      { to: ["not an address"], subject: "Refused", text: "Two of two." },
    ],
  });
  expect(batch.status(), await batch.text()).toBe(202);
  batchId = ((await batch.json()) as { batch_id: string }).batch_id;
  emailId = await sendViaApi(request, token, {
    to: "team@example.com",
    subject,
    text: "Every screen, on every size, in both themes.",
  });
  const refused = await sendViaApi(request, token, {
    to: "nobody@fail.test",
    subject: subjectFor("Refused on the tour"),
    text: "Bounces.",
  });
  await apiPost(request, token, "/api/templates", {
    name: `Welcome ${subject}`,
    subject: "Welcome, {{name}}",
    text: "Hello {{name}}, good to have you with us.",
  });
  await apiPost(request, token, "/api/contacts", { email: `grace.${Date.now().toString(36)}@example.com`, name: "Grace Hopper" });
  await apiPost(request, token, "/api/auth/keys", { name: `Tour ${subject}`, scopes: ["emails:send", "admin"] });
  await waitForStatus(request, token, emailId, "sent");
  await waitForStatus(request, token, refused, "failed");
  await request.dispose();
});

async function settled(page: Page, screen: Screen): Promise<void> {
  const heading = page.getByRole("heading", { level: 1 });
  await expect(screen.heading ? heading.filter({ hasText: screen.heading() }) : heading).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0);
  await page.waitForLoadState("networkidle");
}

async function fitsTheWidth(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
  }));
  expect.soft(widths.page, "no sideways scrolling").toBeLessThanOrEqual(widths.window);
}

async function accessible(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const found = violations.map(
    (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
  );
  expect.soft(found, `accessibility of ${name}`).toEqual([]);
}

async function bothThemes(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: "light" });
  await snap(page, `${name}-light`);
  await accessible(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: "dark" });
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await snap(page, `${name}-dark`);
  await accessible(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
}

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("every screen fits 390 px and the Menu button opens the nav", async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto("/sign-in");
    await fitsTheWidth(page);
    await bothThemes(page, "sign-in-phone");
    await signIn(page, ADMIN);
    for (const screen of SCREENS) {
      await test.step(screen.name, async () => {
        if (screen.link !== undefined) {
          const menu = page.getByRole("button", { name: "Menu" });
          const link = navLink(page, screen.link);
          await expect(link).toBeHidden();
          await menu.click();
          await expect(menu).toHaveAttribute("aria-expanded", "true");
          const to = await link.getAttribute("href");
          await link.click();
          // Following a link closes the menu, the current page's link included.
          await expect(page).toHaveURL((url) => url.pathname === to);
          await expect(link).toBeHidden();
          await expect(menu).toHaveAttribute("aria-expanded", "false");
        } else if (screen.path !== undefined) {
          await page.goto(screen.path());
        }
        await settled(page, screen);
        await fitsTheWidth(page);
        await bothThemes(page, `${screen.name}-phone`);
      });
    }
  });
});

test.describe("on a desktop", () => {
  test("every screen fits the window", async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto("/sign-in");
    await bothThemes(page, "sign-in-desktop");
    await signIn(page, ADMIN);
    for (const screen of SCREENS) {
      await test.step(screen.name, async () => {
        if (screen.link !== undefined) {
          await navLink(page, screen.link).click();
        } else if (screen.path !== undefined) {
          await page.goto(screen.path());
        }
        await settled(page, screen);
        await fitsTheWidth(page);
        await bothThemes(page, `${screen.name}-desktop`);
      });
    }
  });
});
