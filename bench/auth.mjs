// REST load test of the auth service against two `wrangler dev` servers on loopback: rate limits off,
// and rate limits on (Durable Object counter in the path) with the limits raised out of reach; beside
// them, in the same rounds, the control: a hello-world Worker (bench/baseline/) under its own `wrangler dev`.
// Usage: npm run bench [-- --duration 10 --rounds 3 --connections 50 --scenarios control,health,me,login --var NAME:value --profile]
//        npm run bench -- --cpu   CPU ms per request in workerd (what Cloudflare bills), control, /me and login only:
//                                 a fixed number of requests at low concurrency, idle CPU subtracted (see bench/README.md).
// Results: bench/results/auth.json (--cpu: bench/results/auth-cpu.json), ratios to the control first.
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
import { machine as benchMachine, ratio, writeResult } from "./lib/report.ts";

const { values: opts } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    scenarios: { type: "string" },
    variants: { type: "string", default: "limits-off,limits-on" },
    profile: { type: "boolean", default: false },
    // CPU mode: fixed request counts (--requests per scenario, login a tenth of it), low concurrency.
    cpu: { type: "boolean", default: false },
    requests: { type: "string", default: "2000" },
    // Extra settings for both servers, e.g. --var LOG_LEVEL:warn (repeatable).
    var: { type: "string", multiple: true, default: [] },
  },
});
const CPU_MODE = opts.cpu;
const DURATION = Number(opts.duration);
const ROUNDS = Number(opts.rounds);
// CPU mode defaults to 10 connections: enough to keep workerd busy, little queueing of its own.
const CONNECTIONS = CPU_MODE && !process.argv.includes("--connections") ? 10 : Number(opts.connections);
const REQUESTS = Number(opts.requests);
if (!(DURATION > 0 && DURATION <= 60 && ROUNDS >= 1 && ROUNDS <= 10 && CONNECTIONS >= 1 && CONNECTIONS <= 500 && REQUESTS >= 10 && REQUESTS <= 20000)) {
  throw new Error("bounded runs only: duration 1..60 s, rounds 1..10, connections 1..500, requests 10..20000");
}
const SCENARIOS = (opts.scenarios ?? (CPU_MODE ? "control,me,login" : "control,health,me,login")).split(",").map((s) => s.trim()).filter(Boolean);
const VARIANT_LIST = (CPU_MODE && !process.argv.includes("--variants") ? "limits-off" : opts.variants).split(",").map((s) => s.trim()).filter(Boolean);
const MACHINE = benchMachine();

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
  // CPU mode: a fixed number of requests (login is ~10× the CPU of /me: a tenth of them).
  const size = CPU_MODE ? { amount: name === "login" ? Math.max(10, Math.round(REQUESTS / 10)) : REQUESTS } : { duration: DURATION };
  const base = { url: server.url, connections: CONNECTIONS, ...size, timeout: 60 };
  switch (name) {
    case "control": // the hello-world Worker: what one request costs under wrangler dev here
      return { ...base, url: `${server.url}/` };
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

const PATHS = { control: "/", health: "/health", ready: "/ready", me: "/api/v1/auth/me", login: "/api/v1/auth/login" };

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

const WORKERD = "workerd (Worker, D1, R2, DO)";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds per second the server's processes burn while idle (wrangler dev polls, timers). */
async function idleRate(server) {
  if (!HAS_PROC) return {};
  const before = groupCpu(server.process.pid);
  const t0 = performance.now();
  await sleep(3000);
  const after = groupCpu(server.process.pid);
  const s = (performance.now() - t0) / 1000;
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, (v - (before[k] ?? 0)) / s]));
}

async function run(options, server, name) {
  const logStart = server.output().length;
  const load = loadavg()[0];
  const idle = CPU_MODE ? await idleRate(server) : undefined;
  const cpuBefore = HAS_PROC ? groupCpu(server.process.pid) : {};
  const started = performance.now();
  const selfBefore = process.cpuUsage();
  const r = await autocannon(options);
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(selfBefore);
  let cpu;
  let workerdIdleCorrected;
  if (HAS_PROC) {
    const after = groupCpu(server.process.pid);
    cpu = { "node (autocannon, this process)": (self.user + self.system) / 1e6 };
    for (const [k, v] of Object.entries(after)) cpu[k] = Math.round((v - (cpuBefore[k] ?? 0)) * 100) / 100;
    if (idle) workerdIdleCorrected = Math.max(0, (cpu[WORKERD] ?? 0) - (idle[WORKERD] ?? 0) * seconds);
  }
  let logs;
  if (opts.profile) {
    await new Promise((res) => setTimeout(res, 500)); // the last log lines
    logs = logDurations(server.output().slice(logStart), PATHS[name]);
  }
  return {
    load1: load,
    cpu,
    seconds,
    workerd_cpu_s_idle_corrected: workerdIdleCorrected,
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

/** Which servers a scenario runs on: the control on the hello-world Worker, the rest on each variant. */
const targets = (s, variants) => (s === "control" ? ["control"] : variants);
const VARIANT_LABEL = { "limits-off": "off", "limits-on": "on (DO counter, limits raised)", control: "— (hello-world Worker)" };

async function main() {
  const scenarios = SCENARIOS;
  const variants = VARIANT_LIST;
  const servers = {};
  try {
    const extra = Object.fromEntries(opts.var.map((kv) => [kv.slice(0, kv.indexOf(":")), kv.slice(kv.indexOf(":") + 1)]));
    for (const v of variants) {
      if (!VARIANTS[v]) throw new Error(`unknown variant ${v}`);
      servers[v] = await startWranglerDev({ vars: { ...extra, ...VARIANTS[v] }, logLevel: opts.profile ? "log" : "warn" });
      servers[v].account = await prepare(servers[v]);
      process.stderr.write(`${v}: ${servers[v].url}\n`);
    }
    if (scenarios.includes("control")) {
      // The control: same wrangler, same harness, a Worker that answers "ok" (bench/baseline/worker.js).
      servers.control = await startWranglerDev({ args: ["--config", join(ROOT, "bench", "baseline", "wrangler.toml")], logLevel: opts.profile ? "log" : "warn" });
      process.stderr.write(`control: ${servers.control.url}\n`);
    }
    const results = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of scenarios) {
        // Alternate the order per round so neither variant always runs on a warmer machine.
        const list = targets(s, variants);
        const order = round % 2 ? list : [...list].reverse();
        for (const v of order) {
          const r = await run(scenario(s, servers[v], servers[v].account), servers[v], s);
          ((results[s] ??= {})[v] ??= []).push(r);
          if (r.cpu) process.stderr.write(`  CPU seconds: ${JSON.stringify(r.cpu)}\n`);
          process.stderr.write(
            `round ${round} ${s.padEnd(7)} ${v.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non2xx ${r.non2xx} errors ${r.errors} timeouts ${r.timeouts}  load ${r.load1.toFixed(1)}${r.worker ? `  worker p50/p99 ${r.worker.p50}/${r.worker.p99} ms (${r.worker.count})  wrangler p50/p99 ${r.wrangler.p50}/${r.wrangler.p99} ms (${r.wrangler.count})` : ""}\n`,
          );
        }
      }
    }
    const env = machine();
    const lines = [
      `Medians of ${ROUNDS} rounds × ${CPU_MODE ? `${REQUESTS} requests (login ${Math.max(10, Math.round(REQUESTS / 10))})` : `${DURATION} s`}, ${CONNECTIONS} connections, loopback, ${env.date} (commit ${env.commit})${opts.var.length ? `, --var ${opts.var.join(" --var ")}` : ""}`,
      `Machine: ${env.cpu}, ${env.memory_gb} GiB; Node ${env.node}; wrangler ${env.wrangler}; autocannon ${env.autocannon}; load ${MACHINE.load_average_before[0]} → ${loadavg()[0].toFixed(2)}`,
      "",
      `| scenario | rate limits | req/s | p50 ms | p99 ms | requests | non-2xx / errors | load avg |${opts.profile ? " Worker p50 / p99 ms | wrangler p50 / p99 ms |" : ""}`,
      `|---|---|---:|---:|---:|---:|---:|---:|${opts.profile ? "---:|---:|" : ""}`,
    ];
    const label = { control: "GET / (control: hello-world Worker)", health: "GET /health", ready: "GET /ready", me: "GET /api/v1/auth/me", login: "POST /api/v1/auth/login" };
    const fmt = (x) => (x === null || x === undefined ? "–" : Number.isInteger(x) ? String(x) : x.toFixed(1));
    for (const s of scenarios) {
      for (const v of targets(s, variants)) {
        const rs = results[s][v];
        const bad = rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0);
        lines.push(
          `| ${label[s]} | ${VARIANT_LABEL[v]} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.p50))} | ${median(rs.map((r) => r.p99))} | ${rs.reduce((a, r) => a + r.total, 0)} | ${bad} | ${median(rs.map((r) => r.load1)).toFixed(1)} |${
            opts.profile
              ? ` ${fmt(median(rs.map((r) => r.worker.p50)))} / ${fmt(median(rs.map((r) => r.worker.p99)))} | ${fmt(median(rs.map((r) => r.wrangler.p50)))} / ${fmt(median(rs.map((r) => r.wrangler.p99)))} |`
              : ""
          }`,
        );
      }
    }
    // Per system: medians, and CPU ms per request of the workerd that runs the Worker (+ its local D1/R2/DO).
    const systems = {};
    const cpuPerRequest = (rs, role) => (1000 * rs.reduce((a, r) => a + (r.cpu?.[role] ?? 0), 0)) / Math.max(1, rs.reduce((a, r) => a + r.total, 0));
    for (const s of scenarios) {
      for (const v of targets(s, variants)) {
        const rs = results[s][v];
        const total = rs.reduce((a, r) => a + r.total, 0);
        systems[s === "control" ? "control" : `${s}:${v}`] = {
          scenario: label[s],
          rate_limits: VARIANT_LABEL[v],
          rps: Number(median(rs.map((r) => r.rps)).toFixed(1)),
          p50_ms: median(rs.map((r) => r.p50)),
          p99_ms: median(rs.map((r) => r.p99)),
          requests: total,
          failures: rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0),
          workerd_cpu_ms_per_request: HAS_PROC ? Number(cpuPerRequest(rs, WORKERD).toFixed(2)) : null,
          ...(CPU_MODE && HAS_PROC
            ? { workerd_cpu_ms_per_request_idle_corrected: Number(((1000 * rs.reduce((a, r) => a + (r.workerd_cpu_s_idle_corrected ?? 0), 0)) / Math.max(1, total)).toFixed(2)) }
            : {}),
          all_processes_cpu_ms_per_request: HAS_PROC ? Number(((1000 * rs.reduce((a, r) => a + Object.values(r.cpu ?? {}).reduce((x, y) => x + y, 0), 0)) / Math.max(1, total)).toFixed(2)) : null,
          load_average: Number(median(rs.map((r) => r.load1)).toFixed(2)),
          rounds: rs,
        };
      }
    }
    if (HAS_PROC) {
      // CPU per request by process: where the time goes when the machine is the bottleneck.
      const roles = [...new Set(Object.values(results).flatMap((byV) => Object.values(byV).flatMap((rs) => rs.flatMap((r) => Object.keys(r.cpu)))))];
      lines.push(
        "",
        "CPU milliseconds per request, by process:",
        "",
        `| scenario | rate limits | ${roles.join(" | ")} | total |${CPU_MODE ? " workerd, idle CPU subtracted |" : ""}`,
        `|---|---|${roles.map(() => "---:|").join("")}---:|${CPU_MODE ? "---:|" : ""}`,
      );
      for (const s of scenarios) {
        for (const v of targets(s, variants)) {
          const rs = results[s][v];
          const per = roles.map((role) => fmt(cpuPerRequest(rs, role)));
          const sys = systems[s === "control" ? "control" : `${s}:${v}`];
          lines.push(`| ${label[s]} | ${v === "control" ? "—" : v === "limits-off" ? "off" : "on"} | ${per.join(" | ")} | ${fmt(sys.all_processes_cpu_ms_per_request)} |${CPU_MODE ? ` ${fmt(sys.workerd_cpu_ms_per_request_idle_corrected)} |` : ""}`);
        }
      }
    }
    console.log(lines.join("\n"));
    mkdirSync(join(ROOT, ".tmp"), { recursive: true });
    writeFileSync(join(ROOT, ".tmp", "bench-auth.json"), JSON.stringify({ env, opts, results }, null, 2));

    // Ratios to the control (same run): throughput, tail latency, and the Worker process's CPU per request.
    const ratios = [];
    const cpuKey = CPU_MODE ? "workerd_cpu_ms_per_request_idle_corrected" : "workerd_cpu_ms_per_request";
    if (systems.control) {
      for (const key of Object.keys(systems).filter((k) => k !== "control")) {
        const x = systems[key];
        if (!CPU_MODE) {
          ratios.push({ name: `${key} req/s / control`, value: ratio(x.rps, systems.control.rps) });
          ratios.push({ name: `${key} p99 / control`, value: ratio(x.p99_ms, systems.control.p99_ms) });
        }
        ratios.push({ name: `${key} workerd CPU ms/req / control${CPU_MODE ? " (idle subtracted)" : ""}`, value: ratio(x[cpuKey], systems.control[cpuKey]) });
        // What EdgeCoach itself adds per request, once wrangler dev's own floor (the control) is taken off.
        if (x[cpuKey] !== null && systems.control[cpuKey] !== null) x.workerd_cpu_ms_above_control = Number((x[cpuKey] - systems.control[cpuKey]).toFixed(2));
      }
    }
    writeResult(CPU_MODE ? "auth-cpu" : "auth", {
      params: { argv: process.argv.slice(2), rounds: ROUNDS, connections: CONNECTIONS, ...(CPU_MODE ? { requests: REQUESTS } : { duration_s: DURATION }), scenarios, variants, wrangler: env.wrangler, autocannon: env.autocannon },
      machine: MACHINE,
      systems,
      ratios,
      notes: [
        "workerd CPU = user+system CPU of the workerd process that runs the Worker (under wrangler dev it also runs local D1, R2, DO and Queues); the control's figure is wrangler dev's own floor per request.",
        ...(CPU_MODE ? ["CPU mode: a fixed number of requests per scenario; the workerd's idle CPU rate (3 s before each measurement) times the measurement's duration is subtracted."] : []),
      ],
    });
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
}

await main();
