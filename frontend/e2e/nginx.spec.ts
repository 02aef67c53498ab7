// The distributed mode's web server: nginx with frontend/nginx/nginx.conf serving the production
// build and passing /api/ to a gateway (here `eccs up`, which answers the same API). Proves the
// config is valid, sends the security headers on every answer, caches the right things, and that
// its Content-Security-Policy lets the app run (the browser logs any violation as an error).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD, ADMIN, eccsUrl } from "./support/eccs";
import { navLink } from "./support/nav";
import { checkSite, CONF_DIR, prepareSite, serveSite, type RunningNginx } from "./support/nginx";
import { expectSignedIn, fillSignIn } from "./support/people";
import { IN_CI, nginxMissing } from "./support/tools";
import { expect, snap, test } from "./support/test";

// The `add_header Name "value" always;` lines, read as embedded mode reads them.
const SECURITY_HEADERS = Object.fromEntries(
  readFileSync(join(CONF_DIR, "security-headers.conf"), "utf8")
    .split("\n")
    .map((line) => /^\s*add_header\s+(\S+)\s+"([^"]*)"\s+always;\s*$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1]?.toLowerCase() ?? "", match[2] ?? ""]),
);
const INDEX = readFileSync(join(BUILD, "index.html"), "utf8");
const ASSET = readdirSync(join(BUILD, "assets")).find((name) => name.endsWith(".js")) ?? "";

let nginx: RunningNginx | undefined;
let site = "";

test.describe("the web app behind nginx", () => {
  test.skip(nginxMissing !== null && !IN_CI, nginxMissing ?? "");

  test.beforeAll(async () => {
    if (nginxMissing !== null) throw new Error(nginxMissing);
    const prepared = await prepareSite(eccsUrl());
    const checked = checkSite(prepared);
    expect(checked.status, `nginx -t:\n${checked.output}`).toBe(0);
    expect(checked.output).toContain("test is successful");
    nginx = await serveSite(prepared);
    site = prepared.url;
  });

  test.afterAll(async () => {
    await nginx?.stop();
  });

  test("the security headers file has the headers the app relies on", () => {
    expect(Object.keys(SECURITY_HEADERS)).toEqual(
      expect.arrayContaining(["content-security-policy", "x-content-type-options", "referrer-policy"]),
    );
    expect(SECURITY_HEADERS["content-security-policy"]).toContain("script-src 'self'");
    expect(SECURITY_HEADERS["content-security-policy"]).toContain("frame-ancestors 'none'");
  });

  test("pages are the app, never cached, with every security header", async ({ request }) => {
    for (const path of ["/", "/emails", "/emails/00000000-0000-0000-0000-000000000000?tab=raw", "/sign-in"]) {
      const response = await request.get(`${site}${path}`);
      expect(response.status(), path).toBe(200);
      expect(response.headers()["content-type"], path).toContain("text/html");
      expect(await response.text(), path).toBe(INDEX);
      expect(response.headers(), path).toMatchObject({ ...SECURITY_HEADERS, "cache-control": "no-cache" });
      expect(response.headers().server, path).toBe("nginx");
    }
  });

  test("assets are cached for a year with the headers; a missing one is a 404, not the app", async ({ request }) => {
    const asset = await request.get(`${site}/assets/${ASSET}`);
    expect(asset.status()).toBe(200);
    expect(asset.headers()["content-type"]).toContain("javascript");
    expect(asset.headers()).toMatchObject({
      ...SECURITY_HEADERS,
      "cache-control": "public, max-age=31536000, immutable",
    });
    const gone = await request.get(`${site}/assets/no-such-file.js`);
    expect(gone.status()).toBe(404);
  });

  test("the API goes through to the gateway, and /health says distributed", async ({ request }) => {
    const keys = await request.get(`${site}/api/auth/jwks`);
    expect(keys.status()).toBe(200);
    expect(await keys.json()).toHaveProperty("keys");
    const health = await request.get(`${site}/health`);
    expect(await health.json()).toEqual({ status: "ready", mode: "distributed" });
    expect(health.headers()).toMatchObject(SECURITY_HEADERS);
  });

  test("embedded mode sends the same security headers as nginx", async ({ request }) => {
    for (const path of ["/", `/assets/${ASSET}`]) {
      const embedded = (await request.get(`${eccsUrl()}${path}`)).headers();
      const behindNginx = (await request.get(`${site}${path}`)).headers();
      for (const name of [...Object.keys(SECURITY_HEADERS), "cache-control"]) {
        expect(embedded[name], `${path} ${name}`).toBe(behindNginx[name]);
      }
    }
  });

  test("signing in through nginx shows the dashboard, and the policy blocks nothing", async ({ page }) => {
    await page.goto(`${site}/emails`);
    await expect(page).toHaveURL(/\/sign-in\?next=/);
    await fillSignIn(page, ADMIN);
    await expectSignedIn(page);
    await expect(page).toHaveURL(`${site}/emails`);
    await navLink(page, "Dashboard").click();
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.waitForLoadState("networkidle");
    // Distributed mode has no mail catcher, and the app knows it from nginx's /health.
    await expect(navLink(page, "Dead letters")).toBeVisible();
    await expect(navLink(page, "Mail catcher")).toHaveCount(0);
    await snap(page, "nginx-dashboard");
    for (const link of ["Compose", "Sent", "Templates", "Contacts"]) {
      await navLink(page, link).click();
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await page.waitForLoadState("networkidle");
    }
  });
});
