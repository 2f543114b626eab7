// Starts a real `wrangler dev` on a free loopback port with its own persisted state, for e2e tests,
// benchmarks and the dev script. Runs under Node 22 (vitest or `node file.ts`).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs SQL against the local D1 database in persistDir (works while wrangler dev uses it). */
export function d1Execute(persistDir: string, sql: string): Record<string, unknown>[] {
  const args = ["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--json", "--command", sql];
  const res = spawnSync(WRANGLER, args, { cwd: ROOT, env: { ...process.env, CI: "true" }, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`wrangler d1 execute failed:\n${res.stdout}\n${res.stderr}`);
  const out = JSON.parse(res.stdout) as { results: Record<string, unknown>[] }[];
  return out.flatMap((r) => r.results);
}

/** Applies every D1 migration to the local database kept in persistDir (idempotent). */
export function applyLocalMigrations(persistDir?: string): void {
  const args = ["d1", "migrations", "apply", "DB", "--local", ...(persistDir ? ["--persist-to", persistDir] : [])];
  const res = spawnSync(WRANGLER, args, { cwd: ROOT, env: { ...process.env, CI: "true" }, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${res.stdout}\n${res.stderr}`);
}

export interface DevServer {
  url: string;
  port: number;
  persistDir: string;
  /** The Worker's V8 inspector (Chrome DevTools protocol): bench/realtime-profile.ts takes CPU profiles there. */
  inspectorPort: number;
  process: ChildProcess;
  /** Everything wrangler printed so far (for debugging a failing test). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  persistDir?: string;
  /** Extra vars, e.g. { RATE_LIMITS_ENABLED: "false" } or stand-in API base URLs. */
  vars?: Record<string, string>;
  /** Milliseconds to wait for /health. */
  timeoutMs?: number;
  /** wrangler's --log-level (default warn); "log"/"info" keep the Worker's console output (logged mails, request lines). */
  logLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** Extra CLI arguments, e.g. ["--test-scheduled"] to expose /__scheduled. */
  args?: string[];
}

export async function startWranglerDev(opts: StartOptions = {}): Promise<DevServer> {
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), "edgecoach-dev-"));
  const ownsDir = !opts.persistDir;
  applyLocalMigrations(persistDir);
  const port = opts.port ?? (await freePort());
  const inspector = await freePort();
  const args = [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspector),
    "--persist-to", persistDir,
    "--show-interactive-dev-session=false",
    "--log-level", opts.logLevel ?? "warn",
    ...Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ...(opts.args ?? []),
  ];
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    // No lookup of the Request.cf sample at workers.cloudflare.com: offline, no warning noise.
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const server: DevServer = {
    url,
    port,
    persistDir,
    inspectorPort: inspector,
    process: child,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          /* already gone */
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* already gone */
          }
        }
      }
      if (ownsDir) rmSync(persistDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return server;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await server.stop();
  throw new Error(`wrangler dev did not become healthy in time:\n${log}`);
}
