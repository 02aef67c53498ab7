// The web app's nginx (frontend/nginx/nginx.conf) run as the distributed mode runs it: its
// `${...}` variables filled in as the container's envsubst would, inside a small main config that
// keeps the pid, logs and temp files in a directory of its own, so it runs without privileges.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILD, freePort, FRONTEND } from "./eccs";
import { NGINX } from "./tools";

export const CONF_DIR = join(FRONTEND, "nginx");

export interface NginxSite {
  dir: string;
  main: string;
  url: string;
}

/** The server block with its variables filled in; any variable left over is an error. */
export function renderServer(variables: Record<string, string>): string {
  const template = readFileSync(join(CONF_DIR, "nginx.conf"), "utf8");
  const rendered = template.replace(/\$\{(\w+)\}/g, (whole, name: string) => variables[name] ?? whole);
  const left = rendered.match(/\$\{\w+\}/g);
  if (left !== null) throw new Error(`nginx.conf uses variables the suite does not know: ${left.join(", ")}`);
  return rendered;
}

/**
 * A site serving a copy of the build (the container serves its own copy too; a copy also keeps
 * nginx's unprivileged workers from needing access to the checkout) and passing /api/ to `gateway`.
 */
export async function prepareSite(gateway: string): Promise<NginxSite> {
  const dir = mkdtempSync(join(tmpdir(), "eccs-nginx-"));
  // Started as root, nginx runs its workers as nobody: they must reach the files.
  chmodSync(dir, 0o755);
  const root = join(dir, "html");
  cpSync(BUILD, root, { recursive: true });
  const port = await freePort();
  // No path after the gateway's address: nginx then passes /api/... on unchanged.
  const server = renderServer({
    ECCS_WEB_PORT: `127.0.0.1:${port}`,
    ECCS_WEB_ROOT: root,
    ECCS_WEB_CONF: CONF_DIR,
    ECCS_GATEWAY_URL: gateway.replace(/\/+$/, ""),
  });
  writeFileSync(join(dir, "web.conf"), server);
  const main = join(dir, "nginx.conf");
  writeFileSync(
    main,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/web.conf;
}
`,
  );
  return { dir, main, url: `http://127.0.0.1:${port}` };
}

function nginxArgs(site: NginxSite): string[] {
  return ["-p", site.dir, "-e", join(site.dir, "error.log"), "-c", site.main];
}

/** `nginx -t`: its exit status and what it said. */
export function checkSite(site: NginxSite): { status: number | null; output: string } {
  const result = spawnSync(NGINX, ["-t", ...nginxArgs(site)], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface RunningNginx {
  stop: () => Promise<void>;
}

export async function serveSite(site: NginxSite): Promise<RunningNginx> {
  const child: ChildProcess = spawn(NGINX, [...nginxArgs(site), "-g", "daemon off;"], { stdio: "ignore" });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
    rmSync(site.dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${site.url}/health`)).ok) return { stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = readFileSync(join(site.dir, "error.log"), "utf8");
  await stop();
  throw new Error(`nginx did not start:\n${log}`);
}
