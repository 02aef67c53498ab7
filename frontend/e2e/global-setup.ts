// Starts the real system once for the whole run; what it returns stops it again.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BUILD, FRONTEND, startEccs, URL_VARIABLE } from "./support/eccs";
import { chromiumMissing, IN_CI } from "./support/tools";

export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (chromiumMissing !== null) {
    if (IN_CI) throw new Error(chromiumMissing);
    // Every test skips with this reason (see support/test.ts); nothing to start.
    console.warn(`Skipping the browser tests: ${chromiumMissing}`);
    return undefined;
  }
  if (!existsSync(join(BUILD, "index.html"))) {
    throw new Error(
      "frontend/dist/index.html is missing: the browser tests run against the production build. " +
        "Build it first with `npm run build` in frontend/ (`make e2e` does it).",
    );
  }
  // Screenshots are this run's artifacts: none left over from an earlier one.
  rmSync(join(FRONTEND, "test-results", "screenshots"), { recursive: true, force: true });
  const system = await startEccs();
  process.env[URL_VARIABLE] = system.url;
  return system.stop;
}
