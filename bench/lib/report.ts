// The common result format of every benchmark: bench/results/<name>.json with the machine (load
// average before/after, cores, Node, commit), each system's figures and the ratios between them.
// Plain TypeScript with no imports outside node: (runs under Node's type stripping, tsx and from .mjs).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const RESULTS_DIR = join(ROOT, "bench", "results");

export interface Machine {
  date: string;
  commit: string;
  branch: string;
  cpu: string;
  cores: number;
  memory_gb: number;
  node: string;
  load_average_before: number[];
  load_average_after?: number[];
}

export interface Ratio {
  /** What is compared, e.g. "hybrid search p99: EdgeCoach / FTS5 floor". */
  name: string;
  value: number | null;
  /** The goal as a ratio, when the issue sets one ("<= 3", ">= 1"). */
  goal?: string;
  met?: boolean;
}

export interface BenchResult {
  benchmark: string;
  /** The command line and sizes of this run. */
  params: Record<string, unknown>;
  machine: Machine;
  /** Each system's figures, keyed by a short system name (edgecoach, control, floor, peer, …). */
  systems: Record<string, unknown>;
  ratios: Ratio[];
  notes?: string[];
}

const git = (...args: string[]) => {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "?";
  }
};

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

/** Call at the start of a run: records the load average before anything starts. */
export function machine(): Machine {
  const dirty = git("status", "--porcelain", "--untracked-files=no") ? "+dirty" : "";
  return {
    date: new Date().toISOString(),
    commit: `${git("rev-parse", "--short", "HEAD")}${dirty}`,
    branch: git("rev-parse", "--abbrev-ref", "HEAD"),
    cpu: cpus()[0]?.model ?? "?",
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load_average_before: load(),
  };
}

/** a / b rounded to 3 significant digits; null when either side is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return Number((a / b).toPrecision(3));
}

/** A ratio with its goal: `atMost` (EdgeCoach/x ≤ n) or `atLeast` (≥ n). */
export function goal(name: string, value: number | null, bound: { atMost?: number; atLeast?: number }): Ratio {
  const text = bound.atMost !== undefined ? `<= ${bound.atMost}` : `>= ${bound.atLeast}`;
  const met = value === null ? false : bound.atMost !== undefined ? value <= bound.atMost : value >= bound.atLeast!;
  return { name, value, goal: text, met };
}

/** Percentile by nearest rank over an unsorted sample. */
export function pct(samples: number[], p: number): number {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return Number(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!.toFixed(2));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Writes bench/results/<name>.json (load average after = now) and returns its path. */
export function writeResult(name: string, result: Omit<BenchResult, "benchmark">): string {
  const out: BenchResult = { benchmark: name, ...result, machine: { ...result.machine, load_average_after: load() } };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  printRatios(out);
  console.error(`results written to ${file}`);
  return file;
}

export function readResult(name: string): BenchResult | undefined {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), "utf8")) as BenchResult;
  } catch {
    return undefined;
  }
}

export function printRatios(r: BenchResult) {
  const lines = [`\n${r.benchmark} — commit ${r.machine.commit}, load ${r.machine.load_average_before[0]} → ${r.machine.load_average_after?.[0] ?? "?"} (${r.machine.cores} cores)`];
  lines.push("| ratio | value | goal | met |", "|---|---:|---|---|");
  for (const x of r.ratios) lines.push(`| ${x.name} | ${x.value ?? "–"} | ${x.goal ?? ""} | ${x.goal ? (x.met ? "yes" : "**no**") : ""} |`);
  console.log(lines.join("\n"));
}

/** better-sqlite3 is native: a Node it was built for (this machine's node_modules: the system Node 20). */
export function nodeForBetterSqlite(): string {
  for (const candidate of [process.execPath, "/usr/bin/node", "/usr/local/bin/node"]) {
    try {
      execFileSync(candidate, ["-e", "new (require('better-sqlite3'))(':memory:')"], { cwd: ROOT, stdio: "ignore" });
      return candidate;
    } catch {
      /* not this one */
    }
  }
  throw new Error("better-sqlite3 loads under no available Node");
}
