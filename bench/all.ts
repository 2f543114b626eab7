// Runs every benchmark in sequence (never two at once: they share the machine with each other's
// controls), small sizes by default (≈ 15 minutes on this 2-core machine), the full sizes with --full,
// then prints one table of ratios from bench/results/*.json and writes bench/results/summary.json.
// Usage: npm run bench:all [-- --full] [-- --only auth,knowledge,...]
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { machine, readResult, RESULTS_DIR, ROOT, type BenchResult } from "./lib/report.ts";

const { values: opts } = parseArgs({ options: { full: { type: "boolean", default: false }, only: { type: "string" } } });
const FULL = opts.full;

interface Step {
  name: string;
  /** Result files this step writes (bench/results/<name>.json). */
  results: string[];
  cmd: string[];
  env?: Record<string, string>;
  /** Hard bound on the step, in minutes. */
  limitMin: number;
}

const node = process.execPath;
const tsx = join(ROOT, "node_modules", ".bin", "tsx");
const STEPS: Step[] = [
  // Most telling first, so a run cut short still has them; the sequence never overlaps two benchmarks.
  {
    name: "knowledge",
    results: ["knowledge"],
    cmd: [tsx, "bench/knowledge.ts", "--batch", "50", ...(FULL ? [] : ["--docs", "1000", "--queries", "60"])],
    limitMin: FULL ? 30 : 8,
  },
  {
    name: "proactive",
    results: ["proactive-typical", "proactive-broadcast"],
    cmd: [], // two runs, below
    limitMin: FULL ? 8 : 4,
  },
  {
    name: "auth-cpu",
    results: ["auth-cpu"],
    cmd: [node, "bench/auth.mjs", "--cpu", ...(FULL ? [] : ["--rounds", "1", "--requests", "1000"])],
    limitMin: FULL ? 6 : 3,
  },
  {
    name: "auth",
    results: ["auth"],
    cmd: [node, "bench/auth.mjs", ...(FULL ? [] : ["--rounds", "1", "--duration", "5"])],
    limitMin: FULL ? 8 : 3,
  },
  {
    name: "realtime",
    results: ["realtime"],
    cmd: [tsx, "bench/realtime.ts"],
    env: FULL ? {} : { BENCH_CONVERSATIONS: "100", BENCH_MESSAGES: "10", BENCH_OPEN_SECONDS: "10" },
    limitMin: FULL ? 15 : 5,
  },
  {
    name: "channels",
    results: ["channels"],
    cmd: [node, "bench/channels-webhooks.ts"],
    env: FULL ? {} : { UPDATES: "200", CONCURRENCY: "50", RATES: "20", DEADLINE_MS: "90000" },
    limitMin: FULL ? 20 : 5,
  },
];

/** Every process group below pid (the benchmarks start wrangler dev detached, in groups of their own). */
function descendantGroups(pid: number): number[] {
  const children = new Map<number, number[]>();
  const group = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      children.set(Number(f[1]), [...(children.get(Number(f[1])) ?? []), Number(entry)]);
      group.set(Number(entry), Number(f[2]));
    } catch {
      /* exited */
    }
  }
  const out = new Set<number>();
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    for (const c of children.get(p) ?? []) {
      out.add(group.get(c)!);
      stack.push(c);
    }
  }
  return [...out];
}

function runStep(cmd: string[], env: Record<string, string> | undefined, limitMin: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: ROOT, stdio: "inherit", detached: true, env: { ...process.env, ...env } });
    // The whole process group goes on timeout: the benchmark's wrangler dev servers with it.
    const timer = setTimeout(() => {
      console.error(`\n[bench:all] ${cmd.join(" ")} exceeded ${limitMin} min: stopping it`);
      // Its wrangler dev servers first (their own process groups), then the benchmark itself.
      for (const pgid of [...descendantGroups(child.pid!).filter((g) => g !== child.pid), child.pid!]) {
        try {
          process.kill(-pgid, "SIGTERM");
        } catch {
          /* gone */
        }
      }
    }, limitMin * 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

const started = Date.now();
const start = machine();
const only = opts.only?.split(",");
const outcome: Record<string, { exit: number; minutes: number }> = {};
await runStep([node, "scripts/prepare-assets.mjs"], undefined, 3);
for (const step of STEPS.filter((s) => !only || only.includes(s.name))) {
  const t0 = Date.now();
  console.error(`\n[bench:all] ${step.name} (${FULL ? "full" : "small"} sizes), load ${start.load_average_before[0]} at start of all`);
  let exit = 0;
  if (step.name === "proactive") {
    for (const mix of ["typical", "broadcast"]) exit ||= await runStep([node, "bench/proactive-tick.ts", FULL ? "100000" : "20000", mix], undefined, step.limitMin / 2);
  } else exit = await runStep(step.cmd, step.env, step.limitMin);
  outcome[step.name] = { exit, minutes: Math.round((Date.now() - t0) / 600) / 100 };
}

// One table of ratios, from what each benchmark wrote in this run (older files are marked as such).
const rows: string[] = ["| benchmark | ratio | value | goal | met |", "|---|---|---:|---|---|"];
const files: Record<string, BenchResult | undefined> = {};
for (const step of STEPS) {
  for (const name of step.results) {
    const r = readResult(name);
    files[name] = r;
    if (!r) continue;
    const stale = Date.parse(r.machine.date) < started ? " (not from this run)" : "";
    for (const x of r.ratios) rows.push(`| ${name}${stale} | ${x.name} | ${x.value ?? "–"} | ${x.goal ?? ""} | ${x.goal ? (x.met ? "yes" : "**no**") : ""} |`);
  }
}
const controls = [
  ["auth control (hello-world Worker) req/s", (files.auth?.systems.control as any)?.rps],
  ["auth-cpu control workerd CPU ms/req", (files["auth-cpu"]?.systems.control as any)?.workerd_cpu_ms_per_request_idle_corrected],
  ["realtime control (minimal DO) msgs/s", (files.realtime?.systems.control as any)?.messages_per_second],
  ["knowledge floor (FTS5) search p99 ms", (files.knowledge?.systems.floor as any)?.search_limit10_ms?.p99],
  ["proactive-broadcast floor tick ms", (files["proactive-broadcast"]?.systems.floor as any)?.tick_wall_ms],
];
const end = machine();
console.log(`\n## bench:all — ${FULL ? "full" : "small"} sizes, commit ${end.commit}, ${Math.round((Date.now() - started) / 6000) / 10} min, load ${start.load_average_before.join(" ")} → ${end.load_average_before.join(" ")}, ${end.cores} cores\n`);
console.log(rows.join("\n"));
console.log("\nThe machine's speed in this run (controls and floors):\n");
for (const [k, v] of controls) console.log(`- ${k}: ${v ?? "–"}`);
console.log(`\nSteps: ${Object.entries(outcome).map(([k, v]) => `${k} ${v.exit === 0 ? "ok" : `exit ${v.exit}`} (${v.minutes} min)`).join(", ")}`);
writeFileSync(
  join(RESULTS_DIR, "summary.json"),
  `${JSON.stringify({ full: FULL, machine: { ...start, load_average_after: end.load_average_before }, minutes: Math.round((Date.now() - started) / 6000) / 10, steps: outcome, controls: Object.fromEntries(controls), ratios: Object.fromEntries(Object.entries(files).map(([k, r]) => [k, r?.ratios ?? null])) }, null, 2)}\n`,
);
if (Object.values(outcome).some((o) => o.exit !== 0)) process.exitCode = 1;
