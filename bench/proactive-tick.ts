// Benchmark: one cron tick (program scheduler + proactive engine) over N end users and 20 rules in
// local D1, under a real `wrangler dev --test-scheduled`. Measures the tick's wall time, the CPU
// time and peak RSS of the workerd process during the tick, and what the tick wrote and queued.
// Beside it, in the same run, the floor (bench/lib/proactive-floor.cjs): only the unavoidable reads and
// writes of that tick for the same users and rules, in plain SQLite from Node — ratios in
// bench/results/proactive-<mix>.json.
// Run: node --experimental-strip-types bench/proactive-tick.ts [users=100000] [mix=broadcast|typical]
// broadcast: three of the rules fire for every matching user this minute (worst case: ~1.45 ledger
// rows per user); typical: those three are daily rules whose time isn't now (only the inactivity
// windows and events produce rows), which isolates the cost of evaluating 20 rules.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { d1Execute, ROOT, startWranglerDev } from "../test/support/wrangler-dev.ts";
import { machine, nodeForBetterSqlite, ratio, writeResult } from "./lib/report.ts";

const MACHINE = machine();

/** The local D1 database file(s) wrangler dev keeps under its persist directory. */
function d1Files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".sqlite") && entry.name !== "metadata.sqlite") out.push(join(entry.parentPath, entry.name));
  }
  return out.filter((f) => f.includes(`${join("d1", "")}`) || f.includes("D1Database"));
}

/** Runs the floor against a copy of what EdgeCoach's tick had and wrote (see bench/lib/proactive-floor.cjs). */
function runFloor(persistDir: string, creatorId: string) {
  const files = d1Files(persistDir);
  const tmp = mkdtempSync(join(tmpdir(), "edgecoach-bench-floor-"));
  try {
    const node = nodeForBetterSqlite();
    for (const file of files) {
      try {
        const out = execFileSync(node, [join(ROOT, "bench", "lib", "proactive-floor.cjs"), file, join(tmp, "floor.db"), creatorId], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 20 });
        return JSON.parse(out) as { tick_wall_ms: number; cpu_ms: number; ledger_rows_written: number; sends_queued: number; queue_jobs: number; audience_read: number; rules_read: number; sqlite: string };
      } catch (err) {
        rmSync(join(tmp, "floor.db"), { force: true });
        rmSync(join(tmp, "floor.db-wal"), { force: true });
        rmSync(join(tmp, "floor.db-shm"), { force: true });
        if (file === files.at(-1)) throw err; // not the D1 with our tables: try the next file
      }
    }
    throw new Error(`no local D1 file under ${persistDir}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const USERS = Number(process.argv[2] ?? 100_000);
const MIX = process.argv[3] ?? "broadcast";
const notNow = `${String((new Date().getUTCHours() + 12) % 24).padStart(2, "0")}:30`;
const ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo", "Africa/Lagos"];

function descendants(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    for (const dir of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${dir}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid === p) out.push(Number(dir)), stack.push(Number(dir));
      } catch {
        /* gone */
      }
    }
  }
  return out;
}
const isWorkerd = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd");
  } catch {
    return false;
  }
};
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]); // utime + stime
  const hz = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
  return (ticks / hz) * 1000;
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

// The users are seeded with `wrangler d1 execute` while no wrangler dev has the database open: seeding
// 100,000 rows under a running wrangler dev sometimes failed (issue 18). So: a first wrangler dev only to
// register the creator, stopped; the seed; then the measured wrangler dev on the same persisted state.
const persistDir = mkdtempSync(join(tmpdir(), "edgecoach-bench-proactive-"));
const devOptions = { persistDir, args: ["--test-scheduled"], logLevel: "log" as const, vars: { RATE_LIMITS_ENABLED: "false" } };
let dev = await startWranglerDev(devOptions);
try {
  const call = async (path: string, token: string | null, json?: unknown) => {
    const res = await fetch(`${dev.url}${path}`, {
      method: json === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as any;
  };
  const reg = await call("/api/v1/auth/register", null, { email: `bench-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Bench" });
  const token = reg.access_token as string;
  const creatorId = reg.creator.id as string;

  // N users in 10 timezones over 3 channels, 10% tagged vip, last activity spread evenly over 30 days.
  const spacing = Math.floor((30 * 86400) / USERS);
  const zones = ZONES.map((z, i) => `WHEN ${i} THEN '${z}'`).join(" ");
  await dev.stop();
  const seedStart = Date.now();
  d1Execute(
    dev.persistDir,
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${USERS})
     INSERT INTO end_users (id, creator_id, channel, external_id, display_name, timezone, tags, last_active_at, created_at)
     SELECT lower(hex(randomblob(16))), '${creatorId}', CASE i % 3 WHEN 0 THEN 'widget' WHEN 1 THEN 'telegram' ELSE 'whatsapp' END,
            'ext-' || i, 'User ' || i, CASE i % 10 ${zones} END, CASE WHEN i % 10 = 0 THEN '["vip"]' ELSE '[]' END,
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i * ${spacing}) || ' seconds'), '2026-01-01T00:00:00.000Z'
       FROM n`,
  );
  const seedMs = Date.now() - seedStart;
  dev = await startWranglerDev(devOptions);

  const msg = (text: string, delay = 0) => [{ type: "send_message", message_template: text, delay_minutes: delay }];
  const rules: [string, unknown, unknown][] = [
    ...[12, 24, 36, 48, 72, 96, 120, 168].map((h) => [`Inactive ${h}h`, { type: "inactivity", threshold_hours: h }, msg(`Still there, {user_name}? (${h} h)`)] as [string, unknown, unknown]),
    ...(MIX === "broadcast"
      ? ([
          ["Broadcast to everyone in an hour", { type: "scheduled", cron: "* * * * *" }, msg("Hello {user_name}", 60)],
          ["VIP now", { type: "scheduled", cron: "* * * * *", applies_to: { tag: "vip" } }, msg("VIP news for {user_name}")],
          ["WhatsApp later", { type: "scheduled", cron: "* * * * *", applies_to: { channel: "whatsapp" } }, msg("WA", 30)],
        ] as [string, unknown, unknown][])
      : ([
          ["Daily to everyone", { type: "scheduled", daily_at: notNow }, msg("Hello {user_name}", 60)],
          ["VIP daily", { type: "scheduled", daily_at: notNow, applies_to: { tag: "vip" } }, msg("VIP news for {user_name}")],
          ["WhatsApp daily", { type: "scheduled", daily_at: notNow, applies_to: { channel: "whatsapp" } }, msg("WA", 30)],
        ] as [string, unknown, unknown][])),
    ["Mondays 9", { type: "scheduled", cron: "0 9 * * 1" }, msg("Monday!")],
    ["Daily 07:15", { type: "scheduled", daily_at: "07:15" }, msg("Morning")],
    ["Weekdays 18:00", { type: "scheduled", daily_at: "18:00", days_of_week: [1, 2, 3, 4, 5] }, msg("Evening")],
    ["Stalled 24h", { type: "program_stalled", threshold_hours: 24 }, msg("Stuck?")],
    ["Stalled 72h", { type: "program_stalled", threshold_hours: 72 }, msg("Still stuck?")],
    ["Completed", { type: "milestone", event: "program_completed" }, msg("Congrats")],
    ["Badge", { type: "milestone", event: "badge_earned" }, msg("Badge!")],
    ["Telegram daily", { type: "scheduled", daily_at: "12:00", applies_to: { channel: "telegram" } }, msg("Noon")],
    ["AI check-in for inactive VIPs", { type: "inactivity", threshold_hours: 200, applies_to: { tag: "vip" } }, [{ type: "ai_message", prompt: "Check in with {user_name}", delay_minutes: 0 }]],
  ];
  for (const [name, trigger_conditions, actions] of rules) await call("/api/v1/proactive-engine/rules", token, { name, trigger_conditions, actions });

  const workerd = descendants(dev.process.pid!).filter(isWorkerd);
  const cpuBefore = workerd.reduce((s, p) => s + cpuMs(p), 0);
  const rssBefore = workerd.reduce((s, p) => s + rssMb(p), 0);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    try {
      rssPeak = Math.max(rssPeak, workerd.reduce((s, p) => s + rssMb(p), 0));
    } catch {
      /* exiting */
    }
  }, 50);
  const started = performance.now();
  const res = await fetch(`${dev.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
  const tickMs = performance.now() - started;
  clearInterval(sampler);
  const cpuTick = workerd.reduce((s, p) => s + cpuMs(p), 0) - cpuBefore;
  if (!res.ok) throw new Error(`tick failed: ${res.status}`);
  await new Promise((r) => setTimeout(r, 500));
  const tickLog = dev.output().split("\n").find((l) => l.includes('"message":"tick"'));
  const ledger = d1Execute(dev.persistDir, "SELECT status, count(*) AS n FROM proactive_sends GROUP BY status");
  const result = {
    users: USERS,
    mix: MIX,
    rules: rules.length,
    seed_ms: seedMs,
    tick_wall_ms: Math.round(tickMs),
    workerd_cpu_ms_during_tick: Math.round(cpuTick),
    workerd_rss_mb_before: Math.round(rssBefore),
    workerd_rss_mb_peak: Math.round(rssPeak),
    ledger: Object.fromEntries(ledger.map((r) => [r.status, r.n])),
    tick_log: tickLog ? JSON.parse(tickLog.slice(tickLog.indexOf("{"))) : "(not captured)",
  };
  console.log(JSON.stringify(result, null, 2));
  const floor = runFloor(dev.persistDir, creatorId);
  console.log(JSON.stringify({ floor }, null, 2));
  writeResult(`proactive-${MIX}`, {
    params: { users: USERS, mix: MIX, rules: rules.length },
    machine: MACHINE,
    systems: {
      edgecoach: { system: "EdgeCoach: one cron tick through /__scheduled (wrangler dev, local D1 + Queues)", ...result },
      floor: {
        system: `Floor: the tick's unavoidable reads and writes in plain SQLite from Node (better-sqlite3, SQLite ${floor.sqlite}, WAL, synchronous=NORMAL): read the active rules, read the audience's ids and timezones once, write the same ledger rows into the same table and indexes (1,000 a transaction), advance each rule's window, enqueue the due sends (one outbox row per 50 ids)`,
        ...floor,
      },
    },
    ratios: [
      { name: "tick wall: EdgeCoach / floor", value: ratio(result.tick_wall_ms, floor.tick_wall_ms) },
      { name: "CPU: EdgeCoach workerd during tick / floor process", value: ratio(result.workerd_cpu_ms_during_tick, floor.cpu_ms) },
      { name: "ledger rows: EdgeCoach / floor (must be 1)", value: ratio(Object.values(result.ledger as Record<string, number>).reduce((a, b) => a + b, 0), floor.ledger_rows_written) },
    ],
    notes: [
      "The floor evaluates no rule: it is given the rows EdgeCoach's tick wrote (copied from its D1 after the tick), so the ratio is the cost of deciding who gets what, plus the Worker/D1 overhead.",
      "EdgeCoach's CPU is the whole workerd (Worker + local D1 + the queue consumer that starts delivering during the tick).",
    ],
  });
} finally {
  await dev.stop();
  rmSync(persistDir, { recursive: true, force: true });
}
