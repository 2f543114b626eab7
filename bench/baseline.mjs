// Control run: a hello-world Worker under `wrangler dev`, with and without one log line per request,
// to separate wrangler dev's own per-request cost from EdgeCoach's. Usage: npm run bench:baseline
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { loadavg } from "node:os";
import { ROOT, freePort } from "../test/support/wrangler-dev.ts";
import { groupCpu } from "./cpu.mjs";

const DURATION = 10;
const ROUNDS = 3;
const CONNECTIONS = 50;

const port = await freePort();
const inspector = await freePort();
const child = spawn(
  join(ROOT, "node_modules", ".bin", "wrangler"),
  ["dev", "--config", join(ROOT, "bench", "baseline", "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port),
   "--inspector-port", String(inspector), "--log-level", "warn", "--show-interactive-dev-session=false"],
  { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
);
child.stdout.resume();
child.stderr.resume();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("baseline wrangler dev did not start");
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  const results = { "/": [], "/?log": [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of Object.keys(results)) {
      const before = groupCpu(child.pid);
      const load = loadavg()[0];
      const r = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, duration: DURATION });
      const after = groupCpu(child.pid);
      const cpu = Object.values(after).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0);
      results[path].push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuMs: (1000 * cpu) / r.requests.total, load });
      process.stderr.write(`${path.padEnd(6)} ${r.requests.average.toFixed(0)} req/s p50 ${r.latency.p50} p99 ${r.latency.p99} load ${load.toFixed(1)}\n`);
    }
  }
  console.log(`Hello-world Worker under wrangler dev, medians of ${ROUNDS} × ${DURATION} s, ${CONNECTIONS} connections, ${new Date().toISOString()}\n`);
  console.log("| request | req/s | p50 ms | p99 ms | CPU ms/req (all wrangler dev processes) | load avg |\n|---|---:|---:|---:|---:|---:|");
  for (const [path, rs] of Object.entries(results)) {
    console.log(`| GET ${path === "/" ? "/ (no log line)" : "/?log (one log line)"} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.p50))} | ${median(rs.map((r) => r.p99))} | ${median(rs.map((r) => r.cpuMs)).toFixed(1)} | ${median(rs.map((r) => r.load)).toFixed(1)} |`);
  }
} finally {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
}
