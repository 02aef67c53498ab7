// The programs the suite drives that do not come from npm: Debian's Chromium and nginx.
// `scripts/test-servers.sh` installs both; without them the suite skips, except in CI, where a
// skipped browser suite would pass for the wrong reason, so it fails instead.
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const NGINX = process.env.NGINX ?? "/usr/sbin/nginx";

const ci = process.env.CI;
export const IN_CI = ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";

const INSTALL = "install it with `scripts/test-servers.sh` (or `sudo apt-get install -y chromium nginx-light`)";

/** Why a tool cannot be used, or null when it can. */
export function missing(path: string, what: string): string | null {
  return existsSync(path) ? null : `${what} is not at ${path}: ${INSTALL}`;
}

export const chromiumMissing = missing(CHROMIUM, "Chromium");
export const nginxMissing = missing(NGINX, "nginx");
