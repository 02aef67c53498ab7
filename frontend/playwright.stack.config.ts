// Browser tests of the compose stack, through its gateway (HTTPS, a self-signed certificate):
// run by tests/stack (`make stack-test`) while its stack is up, with ECCS_E2E_URL set to the
// gateway. The main configuration (playwright.config.ts) leaves e2e/stack/ out.
import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

export default defineConfig({
  ...base,
  testDir: "e2e/stack",
  testIgnore: [],
  globalSetup: undefined,
  reporter: [["list"]],
  outputDir: "test-results/stack-artifacts",
  use: { ...base.use, ignoreHTTPSErrors: true },
});
