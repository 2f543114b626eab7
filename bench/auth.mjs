// REST load test of the auth service against two `wrangler dev` servers on loopback: rate limits off,
// and rate limits on (Durable Object counter in the path) with the limits raised out of reach.
// Usage: npm run bench [-- --duration 10 --rounds 3 --connections 50 --scenarios health,me,login]
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, startWranglerDev } from "../test/support/wrangler-dev.ts";

const { values: opts } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    scenarios: { type: "string", default: "health,me,login" },
    variants: { type: "string", default: "limits-off,limits-on" },
  },
});
const DURATION = Number(opts.duration);
const ROUNDS = Number(opts.rounds);
const CONNECTIONS = Number(opts.connections);
if (!(DURATION > 0 && DURATION <= 60 && ROUNDS >= 1 && ROUNDS <= 10 && CONNECTIONS >= 1 && CONNECTIONS <= 500)) {
  throw new Error("bounded runs only: duration 1..60 s, rounds 1..10, connections 1..500");
}

// Far above anything a 10 s run can reach, so no request is refused, but every request is counted.
const HIGH = "100000000";
const VARIANTS = {
  "limits-off": { RATE_LIMITS_ENABLED: "false" },
  "limits-on": {
    RATE_LIMITS_ENABLED: "true",
    RATE_LIMIT_AUTH_PER_MINUTE: HIGH,
    RATE_LIMIT_DEFAULT_PER_MINUTE: HIGH,
    CREATOR_API_CALLS_PER_HOUR: HIGH,
  },
};

const PASSWORD = "Bench-Lantern-Orchard-93";

async function post(url, body, token) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** One account per server: /me uses its access token, login its credentials. */
async function prepare(server) {
  const email = `bench-${Date.now()}@example.com`;
  await post(`${server.url}/api/v1/auth/register`, { email, password: PASSWORD, full_name: "Bench Creator" });
  const { access_token } = await post(`${server.url}/api/v1/auth/login`, { email, password: PASSWORD });
  return { email, token: access_token };
}

function scenario(name, server, account) {
  const base = { url: server.url, connections: CONNECTIONS, duration: DURATION, timeout: 60 };
  switch (name) {
    case "health":
      return { ...base, url: `${server.url}/health` };
    case "me":
      return { ...base, url: `${server.url}/api/v1/auth/me`, headers: { authorization: `Bearer ${account.token}` } };
    case "login":
      return {
        ...base,
        url: `${server.url}/api/v1/auth/login`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: account.email, password: PASSWORD }),
      };
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}

async function run(options) {
  const r = await autocannon(options);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function machine() {
  const pkg = (p) => JSON.parse(readFileSync(join(ROOT, "node_modules", p, "package.json"), "utf8")).version;
  let wrangler = "?";
  try {
    wrangler = pkg("wrangler");
  } catch {}
  return {
    date: new Date().toISOString(),
    cpu: `${cpus()[0]?.model ?? "?"} × ${cpus().length}`,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    wrangler,
    autocannon: pkg("autocannon"),
    commit: (() => {
      try {
        return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
      } catch {
        return "?";
      }
    })(),
  };
}

async function main() {
  const scenarios = opts.scenarios.split(",").map((s) => s.trim()).filter(Boolean);
  const variants = opts.variants.split(",").map((s) => s.trim()).filter(Boolean);
  const servers = {};
  try {
    for (const v of variants) {
      if (!VARIANTS[v]) throw new Error(`unknown variant ${v}`);
      servers[v] = await startWranglerDev({ vars: VARIANTS[v] });
      servers[v].account = await prepare(servers[v]);
      process.stderr.write(`${v}: ${servers[v].url}\n`);
    }
    const results = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of scenarios) {
        // Alternate the order per round so neither variant always runs on a warmer machine.
        const order = round % 2 ? variants : [...variants].reverse();
        for (const v of order) {
          const r = await run(scenario(s, servers[v], servers[v].account));
          ((results[s] ??= {})[v] ??= []).push(r);
          process.stderr.write(
            `round ${round} ${s.padEnd(6)} ${v.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non2xx ${r.non2xx} errors ${r.errors} timeouts ${r.timeouts}\n`,
          );
        }
      }
    }
    const env = machine();
    const lines = [
      `Medians of ${ROUNDS} rounds × ${DURATION} s, ${CONNECTIONS} connections, loopback, ${env.date} (commit ${env.commit})`,
      `Machine: ${env.cpu}, ${env.memory_gb} GiB; Node ${env.node}; wrangler ${env.wrangler}; autocannon ${env.autocannon}`,
      "",
      "| scenario | rate limits | req/s | p50 ms | p99 ms | requests | non-2xx / errors |",
      "|---|---|---:|---:|---:|---:|---:|",
    ];
    const label = { health: "GET /health", me: "GET /api/v1/auth/me", login: "POST /api/v1/auth/login" };
    for (const s of scenarios) {
      for (const v of variants) {
        const rs = results[s][v];
        const bad = rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0);
        lines.push(
          `| ${label[s]} | ${v === "limits-off" ? "off" : "on (DO counter, limits raised)"} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.p50))} | ${median(rs.map((r) => r.p99))} | ${rs.reduce((a, r) => a + r.total, 0)} | ${bad} |`,
        );
      }
    }
    console.log(lines.join("\n"));
    mkdirSync(join(ROOT, ".tmp"), { recursive: true });
    writeFileSync(join(ROOT, ".tmp", "bench-auth.json"), JSON.stringify({ env, opts, results }, null, 2));
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
}

await main();
