// The real system under test: `eccs up` (embedded mode) with a fresh data directory, started by
// the global setup and stopped with SIGINT, as a person would stop it with Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FRONTEND = fileURLToPath(new URL("../../", import.meta.url));
export const REPOSITORY = join(FRONTEND, "..");
export const BUILD = join(FRONTEND, "dist");
const EXECUTABLE = process.env.ECCS_BIN ?? join(REPOSITORY, ".venv", "bin", "eccs");

/** Written by the global setup, read by the test workers (they inherit its environment). */
export const URL_VARIABLE = "ECCS_E2E_URL";

export const ADMIN = {
  name: "Admin",
  email: "admin@example.com",
  password: "ledger-of-quiet-harbours",
};

const START_SECONDS = 90;
const STOP_SECONDS = 60;

// Variables that would swap a real server in for an embedded one: the suite wants its own.
const REPLACEMENTS = /^(DATABASE_URL|POSTGRES_\w+|KAFKA_BOOTSTRAP_SERVERS|SMTP_\w+|MONGODB_URL|ECCS_HTTP_PORT)(_FILE)?$/;

const SETTINGS = {
  // Retries within seconds: an @down.test email shows its retries and fails in about five.
  EMAIL_MAX_ATTEMPTS: "3",
  EMAIL_RETRY_BASE_SECONDS: "1",
  EMAIL_RETRY_MAX_SECONDS: "2",
  // The shortest life the auth service allows, so the silent refresh happens within a test.
  ACCESS_TOKEN_TTL_SECONDS: "30",
  BCRYPT_ROUNDS: "4",
  // Every test signs up its own people from this one machine.
  REGISTRATIONS_PER_ADDRESS: "100000",
  LOG_LEVEL: "warning",
  LOG_FORMAT: "console",
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function tail(path: string, lines = 40): string {
  if (!existsSync(path)) return "(no log)";
  return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
}

function exited(child: ChildProcess, seconds: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { resolve(false); }, seconds * 1000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export interface RunningSystem {
  url: string;
  stop: () => Promise<void>;
}

export async function startEccs(): Promise<RunningSystem> {
  if (!existsSync(EXECUTABLE)) {
    throw new Error(`${EXECUTABLE} is missing: run \`make install\` in the repository first.`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "eccs-e2e-"));
  const log = `${dataDir}.log`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const environment: NodeJS.ProcessEnv = { ECCS_DATA_DIR: dataDir, ...SETTINGS };
  for (const [name, value] of Object.entries(process.env)) {
    if (!REPLACEMENTS.test(name) && !(name in environment)) environment[name] = value;
  }

  const output = openSync(log, "a");
  // A process group of its own, so that a hung stop can take the whole tree down.
  const child = spawn(EXECUTABLE, ["up", "--port", String(port)], {
    env: environment,
    stdio: ["ignore", output, output],
    detached: true,
  });
  closeSync(output);

  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      if (!(await exited(child, STOP_SECONDS))) {
        console.error(`eccs up did not stop within ${STOP_SECONDS} s; killing it.\n${tail(log)}`);
        process.kill(-child.pid, "SIGKILL");
        await exited(child, 10);
      }
    }
    // The log is worth keeping next to the screenshots; the data is not.
    mkdirSync(join(FRONTEND, "test-results"), { recursive: true });
    if (existsSync(log)) copyFileSync(log, join(FRONTEND, "test-results", "eccs-up.log"));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(log, { force: true });
  };

  try {
    await ready(child, url, log);
    const created = spawnSync(
      EXECUTABLE,
      ["user", "create", "--email", ADMIN.email, "--name", ADMIN.name, "--password", ADMIN.password, "--admin"],
      { env: environment, encoding: "utf8", timeout: 60_000 },
    );
    if (created.status !== 0) {
      throw new Error(`eccs user create failed (${String(created.status)}):\n${created.stdout}${created.stderr}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function ready(child: ChildProcess, url: string, log: string): Promise<void> {
  const deadline = Date.now() + START_SECONDS * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`eccs up exited (${String(child.exitCode ?? child.signalCode)}) before it was ready:\n${tail(log)}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`eccs up was not ready within ${START_SECONDS} s:\n${tail(log)}`);
}

/** The address of the system the global setup started. */
export function eccsUrl(): string {
  const url = process.env[URL_VARIABLE];
  if (url === undefined) throw new Error("ECCS is not running: the global setup did not start it.");
  return url;
}
