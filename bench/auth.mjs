// REST load test of the auth service against two `wrangler dev` servers on loopback: rate limits off,
// and rate limits on (Durable Object counter in the path) with the limits raised out of reach.
// Usage: npm run bench [-- --duration 10 --rounds 3 --connections 50 --scenarios health,me,login --var NAME:value --profile]
// --profile also reads the Worker's own request log (duration_ms) to split Worker time from transport
// (it runs wrangler at --log-level log, which costs wrangler CPU itself). CPU per request per process
// (Linux /proc) is always reported.
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, startWranglerDev } from "../test/support/wrangler-dev.ts";
import { groupCpu, HAS_PROC } from "./cpu.mjs";

const { values: opts } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    scenarios: { type: "string", default: "health,me,login" },
    variants: { type: "string", default: "limits-off,limits-on" },
    profile: { type: "boolean", default: false },
    // Extra settings for both servers, e.g. --var LOG_LEVEL:warn (repeatable).
    var: { type: "string", multiple: true, default: [] },
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
    case "ready": // one D1 query and one R2 head, in parallel: the cost of a storage round trip
      return { ...base, url: `${server.url}/ready` };
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

const PATHS = { health: "/health", ready: "/ready", me: "/api/v1/auth/me", login: "/api/v1/auth/login" };

function quantiles(ds) {
  ds.sort((a, b) => a - b);
  const q = (p) => (ds.length ? ds[Math.min(ds.length - 1, Math.floor(p * ds.length))] : null);
  return { count: ds.length, p50: q(0.5), p99: q(0.99) };
}

/**
 * From the log text of one run: the Worker's own duration_ms (our access log: from the first
 * middleware to the response) and wrangler's per-request time (its "[wrangler:info] GET /x 200 OK (n ms)"
 * line, taken where wrangler dev hands the request to the Worker).
 */
function logDurations(text, path) {
  const worker = [];
  const wrangler = [];
  const wranglerLine = /\[wrangler:info\] [A-Z]+ (\S+) \d{3} .*\((\d+)ms\)/;
  for (const line of text.split("\n")) {
    const m = wranglerLine.exec(line);
    if (m) {
      if (m[1] === path) wrangler.push(Number(m[2]));
      continue;
    }
    const i = line.indexOf('{"timestamp"');
    if (i < 0 || !line.includes('"message":"request"')) continue;
    try {
      const entry = JSON.parse(line.slice(i));
      if (entry.path === path && typeof entry.duration_ms === "number") worker.push(entry.duration_ms);
    } catch {}
  }
  return { worker: quantiles(worker), wrangler: quantiles(wrangler) };
}

async function run(options, server, name) {
  const logStart = server.output().length;
  const load = loadavg()[0];
  const cpuBefore = HAS_PROC ? groupCpu(server.process.pid) : {};
  const selfBefore = process.cpuUsage();
  const r = await autocannon(options);
  const self = process.cpuUsage(selfBefore);
  let cpu;
  if (HAS_PROC) {
    const after = groupCpu(server.process.pid);
    cpu = { "node (autocannon, this process)": (self.user + self.system) / 1e6 };
    for (const [k, v] of Object.entries(after)) cpu[k] = Math.round((v - (cpuBefore[k] ?? 0)) * 100) / 100;
  }
  let logs;
  if (opts.profile) {
    await new Promise((res) => setTimeout(res, 500)); // the last log lines
    logs = logDurations(server.output().slice(logStart), PATHS[name]);
  }
  return {
    load1: load,
    cpu,
    worker: logs?.worker,
    wrangler: logs?.wrangler,
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
      const extra = Object.fromEntries(opts.var.map((kv) => [kv.slice(0, kv.indexOf(":")), kv.slice(kv.indexOf(":") + 1)]));
      servers[v] = await startWranglerDev({ vars: { ...extra, ...VARIANTS[v] }, logLevel: opts.profile ? "log" : "warn" });
      servers[v].account = await prepare(servers[v]);
      process.stderr.write(`${v}: ${servers[v].url}\n`);
    }
    const results = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of scenarios) {
        // Alternate the order per round so neither variant always runs on a warmer machine.
        const order = round % 2 ? variants : [...variants].reverse();
        for (const v of order) {
          const r = await run(scenario(s, servers[v], servers[v].account), servers[v], s);
          ((results[s] ??= {})[v] ??= []).push(r);
          if (r.cpu) process.stderr.write(`  CPU seconds: ${JSON.stringify(r.cpu)}\n`);
          process.stderr.write(
            `round ${round} ${s.padEnd(6)} ${v.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non2xx ${r.non2xx} errors ${r.errors} timeouts ${r.timeouts}  load ${r.load1.toFixed(1)}${r.worker ? `  worker p50/p99 ${r.worker.p50}/${r.worker.p99} ms (${r.worker.count})  wrangler p50/p99 ${r.wrangler.p50}/${r.wrangler.p99} ms (${r.wrangler.count})` : ""}\n`,
          );
        }
      }
    }
    const env = machine();
    const lines = [
      `Medians of ${ROUNDS} rounds × ${DURATION} s, ${CONNECTIONS} connections, loopback, ${env.date} (commit ${env.commit})${opts.var.length ? `, --var ${opts.var.join(" --var ")}` : ""}`,
      `Machine: ${env.cpu}, ${env.memory_gb} GiB; Node ${env.node}; wrangler ${env.wrangler}; autocannon ${env.autocannon}`,
      "",
      `| scenario | rate limits | req/s | p50 ms | p99 ms | requests | non-2xx / errors | load avg |${opts.profile ? " Worker p50 / p99 ms | wrangler p50 / p99 ms |" : ""}`,
      `|---|---|---:|---:|---:|---:|---:|---:|${opts.profile ? "---:|---:|" : ""}`,
    ];
    const label = { health: "GET /health", ready: "GET /ready", me: "GET /api/v1/auth/me", login: "POST /api/v1/auth/login" };
    const fmt = (x) => (x === null || x === undefined ? "–" : Number.isInteger(x) ? String(x) : x.toFixed(1));
    for (const s of scenarios) {
      for (const v of variants) {
        const rs = results[s][v];
        const bad = rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0);
        lines.push(
          `| ${label[s]} | ${v === "limits-off" ? "off" : "on (DO counter, limits raised)"} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.p50))} | ${median(rs.map((r) => r.p99))} | ${rs.reduce((a, r) => a + r.total, 0)} | ${bad} | ${median(rs.map((r) => r.load1)).toFixed(1)} |${
            opts.profile
              ? ` ${fmt(median(rs.map((r) => r.worker.p50)))} / ${fmt(median(rs.map((r) => r.worker.p99)))} | ${fmt(median(rs.map((r) => r.wrangler.p50)))} / ${fmt(median(rs.map((r) => r.wrangler.p99)))} |`
              : ""
          }`,
        );
      }
    }
    if (HAS_PROC) {
      // CPU per request by process: where the time goes when the machine is the bottleneck.
      const roles = [...new Set(Object.values(results).flatMap((byV) => Object.values(byV).flatMap((rs) => rs.flatMap((r) => Object.keys(r.cpu)))))];
      lines.push(
        "",
        "CPU milliseconds per request, by process:",
        "",
        `| scenario | rate limits | ${roles.join(" | ")} | total |`,
        `|---|---|${roles.map(() => "---:|").join("")}---:|`,
      );
      for (const s of scenarios) {
        for (const v of variants) {
          const rs = results[s][v];
          const total = rs.reduce((a, r) => a + r.total, 0);
          const per = roles.map((role) => fmt((1000 * rs.reduce((a, r) => a + (r.cpu[role] ?? 0), 0)) / Math.max(1, total)));
          const sum = (1000 * rs.reduce((a, r) => a + Object.values(r.cpu).reduce((x, y) => x + y, 0), 0)) / Math.max(1, total);
          lines.push(`| ${label[s]} | ${v === "limits-off" ? "off" : "on"} | ${per.join(" | ")} | ${fmt(sum)} |`);
        }
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
