// Browser tests against the real running system (`npx playwright test`; `make e2e` builds first).
// The global setup starts `eccs up` on a free port with a fresh data directory and serves the
// production build in dist/; specs under e2e/ drive it with Debian's Chromium.
import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM, IN_CI } from "./e2e/support/tools";

export default defineConfig({
  testDir: "e2e",
  // The compose stack's spec runs against the stack (playwright.stack.config.ts, tests/stack).
  testIgnore: "stack/**",
  globalSetup: "./e2e/global-setup.ts",
  // Two cores run the whole system and the browser: one test at a time keeps timings honest.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: IN_CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  outputDir: "test-results/artifacts",
  use: {
    ...devices["Desktop Chrome"],
    viewport: { width: 1280, height: 800 },
    colorScheme: "light",
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    },
  },
});
