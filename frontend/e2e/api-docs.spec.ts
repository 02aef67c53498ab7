// The API documentation at /docs, as a developer opens it: Swagger UI drawn from the merged
// document, with every file it needs served by ECCS itself. Requests to anywhere else are cut
// off here (and the guard fails the test on any failed request), so the page must work offline.
import { expect, snap, test } from "./support/test";

test("the API docs render from ECCS alone, with no request leaving it", async ({ page, baseURL }) => {
  const origin = new URL(baseURL ?? "").origin;
  const elsewhere: string[] = [];
  await page.route(
    (url) => url.origin !== origin && url.protocol !== "data:",
    async (route) => {
      elsewhere.push(route.request().url());
      await route.abort();
    },
  );

  await page.goto("/docs");

  await expect(page.locator(".swagger-ui .info .title")).toContainText("ECCS API");
  await expect(page.locator(".opblock-summary-path", { hasText: /^\/api\/emails\/send$/ })).toBeVisible();
  await expect(page.locator(".opblock-summary-path", { hasText: /^\/api\/dev\/inbox$/ }).first()).toBeVisible();
  // Styled by its own stylesheet: an operation's method is a coloured badge.
  const method = page.locator(".opblock-summary-method").first();
  await expect(method).not.toHaveCSS("background-color", "rgba(0, 0, 0, 0)");
  await snap(page, "api-docs");
  expect(elsewhere).toEqual([]);
});
