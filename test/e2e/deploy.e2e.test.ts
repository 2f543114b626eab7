// `wrangler deploy --env production` must stay a valid configuration: a dry run bundles it offline.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/wrangler-dev";

const outdir = mkdtempSync(join(tmpdir(), "edgecoach-deploy-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("wrangler deploy --dry-run --env production", () => {
  it("bundles the Worker with the production-only bindings, without network or account", () => {
    const res = spawnSync(
      join(ROOT, "node_modules", ".bin", "wrangler"),
      ["deploy", "--dry-run", "--env", "production", "--outdir", outdir],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      },
    );
    const output = `${res.stdout}\n${res.stderr}`;
    expect(res.status, output).toBe(0);
    expect(output).toContain("--dry-run: exiting now.");
    expect(existsSync(join(outdir, "api.js"))).toBe(true);
    // The bindings that only exist in production (they have no local simulation).
    for (const binding of ["env.AI ", "env.VECTORIZE ", "env.MAILER ", "env.DB ", "env.FILES ", "env.JOBS ", "env.RATE_LIMITER "]) {
      expect(output).toContain(binding);
    }
    expect(output).toMatch(/env\.ENVIRONMENT \("production"\)/);
    // Dev-only key material must not travel into production as a plain var.
    expect(output).not.toMatch(/env\.ENCRYPTION_KEY \(/);
    // The benchmarks' peers, floors and load generators are dev dependencies: none ships in the Worker.
    // (The bundle names each module it inlines, e.g. "node_modules/hono/…": the first check proves the
    // others could fail.)
    const bundle = readFileSync(join(outdir, "api.js"), "utf8");
    expect(bundle).toContain("node_modules/hono/");
    // The Socket.IO server (a benchmark peer) stays out; its parsers (socket.io-parser, engine.io-parser) are the Worker's own.
    for (const devOnly of ["node_modules/@orama/", "node_modules/better-sqlite3/", "node_modules/socket.io/", "node_modules/autocannon/"]) {
      expect(bundle).not.toContain(devOnly);
    }
  });
});
