// The `test` every spec uses: the running system as baseURL, and a guard that fails a test on
// any page error, error-level console message (the browser logs every 4xx/5xx response as one)
// or failed request, except those the test declares it expects.
import { test as base, expect, type Page, type TestInfo } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { eccsUrl, FRONTEND } from "./eccs";
import { chromiumMissing } from "./tools";

export { expect };

export interface ConsoleGuard {
  /** Expect messages like this one in this test (e.g. the 401 of a wrong password). */
  allow: (pattern: RegExp) => void;
}

const SHOTS = join(FRONTEND, "test-results", "screenshots");

export const test = base.extend<{ consoleGuard: ConsoleGuard; system: string }>({
  // The running system's address. Set up before anything launches the browser, so a missing
  // browser skips cleanly.
  system: [
    async ({ browserName }, use, testInfo: TestInfo) => {
      testInfo.skip(browserName === "chromium" && chromiumMissing !== null, chromiumMissing ?? "");
      await use(eccsUrl());
    },
    { auto: true },
  ],

  baseURL: async ({ system }, use) => {
    await use(system);
  },

  consoleGuard: [
    async ({ context }, use) => {
      const seen: string[] = [];
      const allowed: RegExp[] = [];
      context.on("console", (message) => {
        if (message.type() !== "error") return;
        const { url } = message.location();
        seen.push(url ? `${message.text()} (${url})` : message.text());
      });
      context.on("weberror", (error) => {
        seen.push(`uncaught ${String(error.error())}`);
      });
      context.on("requestfailed", (request) => {
        const failure = request.failure()?.errorText ?? "failed";
        // Leaving a page cancels its requests still in flight; that is not a failure.
        if (failure !== "net::ERR_ABORTED") seen.push(`${request.method()} ${request.url()}: ${failure}`);
      });
      await use({ allow: (pattern) => allowed.push(pattern) });
      const unexpected = seen.filter((text) => !allowed.some((pattern) => pattern.test(text)));
      expect(unexpected, "console errors, page errors or failed requests").toEqual([]);
    },
    { auto: true },
  ],
});

/** A full-page screenshot kept as an artifact: test-results/screenshots/<name>.png. */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
