// Analytics benchmark over a real `wrangler dev`: two creators, one with SMALL and one with LARGE
// messages over 90 days (default 100,000 and 1,000,000), seeded straight into the local D1 SQLite
// file (end users, conversations, the message mirror, and the rollups the MirrorWriter would have
// written for them), then overview / detailed / support dashboard p50/p99 and D1 rows read per
// request (the X-D1-Rows-Read header: the sum of meta.rows_read of the request's queries).
// Run: npm run bench:analytics   (BENCH_SMALL, BENCH_LARGE, BENCH_REQUESTS per endpoint, default 40)
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { startWranglerDev } from "../test/support/wrangler-dev.ts";
import { HLL_M, hllSlot } from "../src/modules/analytics/hll.ts";

const SMALL = Number(process.env.BENCH_SMALL ?? 100_000);
const LARGE = Number(process.env.BENCH_LARGE ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 40);
const DAYS = 90;
const MESSAGES_PER_CONVERSATION = 10;
const CONVERSATIONS_PER_USER = 3;
const CHANNELS = ["widget", "telegram", "whatsapp", "api"] as const;
const HOUR = 3600_000;

function findD1File(persistDir: string): string {
  const dir = join(persistDir, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite")).map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}

/** Deterministic pseudo-random numbers: both runs seed the same shape. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const COUNTERS = ["user_messages", "ai_messages", "agent_messages", "unanswered", "conversations", "new_users", "engaged_conversations", "handovers", "resolved", "ai_resolved", "resolution_seconds", "response_count", "response_seconds", "human_reply_count", "human_reply_seconds", "rating_count", "rating_sum"];

function seed(db: DatabaseSync, creatorId: string, messages: number) {
  const random = rng(messages);
  const now = Date.now();
  const start = now - DAYS * 24 * HOUR;
  const rollups = new Map<string, Record<string, number>>();
  const bump = (at: number, channel: string, counter: string, by = 1) => {
    const iso = new Date(at).toISOString();
    for (const [g, len] of [["h", 13], ["d", 10]] as const) {
      const key = `${g}|${iso.slice(0, len)}|${channel}`;
      const row = rollups.get(key) ?? Object.fromEntries(COUNTERS.map((c) => [c, 0]));
      row[counter]! += by;
      rollups.set(key, row);
    }
  };
  // Active users per day: the same HyperLogLog registers the mirror flush raises.
  const sketches = new Map<string, Uint8Array>();
  const activeByDay = new Map<string, Set<string>>();
  const active = (at: number, user: string) => {
    const day = new Date(at).toISOString().slice(0, 10);
    const regs = sketches.get(day) ?? new Uint8Array(HLL_M);
    sketches.set(day, regs);
    const { index, rank } = hllSlot(user);
    if (rank > regs[index]!) regs[index] = rank;
    if (!activeByDay.has(day)) activeByDay.set(day, new Set());
    activeByDay.get(day)!.add(user);
  };
  const insUser = db.prepare("INSERT INTO end_users (id, creator_id, channel, external_id, created_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?)");
  const insConv = db.prepare("INSERT INTO conversations (id, creator_id, end_user_id, channel, status, last_seq, last_message_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const insMsg = db.prepare("INSERT INTO messages (id, creator_id, conversation_id, seq, sender, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const conversations = Math.ceil(messages / MESSAGES_PER_CONVERSATION);
  db.exec("BEGIN");
  let userId = "";
  let userChannel = "widget";
  let written = 0;
  for (let c = 0; c < conversations; c++) {
    const t0 = start + Math.floor(random() * (DAYS * 24 - 2)) * HOUR + Math.floor(random() * HOUR);
    if (c % CONVERSATIONS_PER_USER === 0) {
      userId = crypto.randomUUID();
      userChannel = CHANNELS[Math.floor(random() * CHANNELS.length)]!;
      insUser.run(userId, creatorId, userChannel, `ext-${userId}`, new Date(t0).toISOString(), new Date(t0).toISOString());
      bump(t0, userChannel, "new_users");
    }
    const id = crypto.randomUUID();
    const handover = random() < 0.1;
    const n = Math.min(MESSAGES_PER_CONVERSATION, messages - written);
    let at = t0;
    for (let seq = 1; seq <= n; seq++) {
      const sender = seq % 2 === 1 ? "user" : handover && seq > 4 ? "agent" : "ai";
      at += sender === "user" ? 30_000 : 2_000;
      insMsg.run(crypto.randomUUID(), creatorId, id, seq, sender, `message ${seq} of a seeded conversation`, new Date(at).toISOString());
      bump(at, userChannel, `${sender}_messages`);
      if (sender === "user") active(at, userId);
      if (sender !== "user") {
        bump(at, userChannel, "response_count");
        bump(at, userChannel, "response_seconds", 2);
      }
    }
    written += n;
    bump(t0, userChannel, "conversations");
    if (n >= 3) bump(t0, userChannel, "engaged_conversations");
    if (handover) {
      bump(t0 + 60_000, userChannel, "handovers");
      bump(t0 + 90_000, userChannel, "human_reply_count");
      bump(t0 + 90_000, userChannel, "human_reply_seconds", 30);
    }
    bump(at, userChannel, "resolved");
    bump(at, userChannel, "resolution_seconds", (at - t0) / 1000);
    if (!handover) bump(at, userChannel, "ai_resolved");
    if (random() < 0.2) {
      bump(at, userChannel, "rating_count");
      bump(at, userChannel, "rating_sum", 3 + Math.floor(random() * 3));
    }
    insConv.run(id, creatorId, userId, userChannel, "completed", n, new Date(at).toISOString(), new Date(t0).toISOString(), new Date(at).toISOString());
  }
  const insRollup = db.prepare(
    `INSERT INTO analytics_rollups (creator_id, granularity, bucket, channel, ${COUNTERS.join(", ")}) VALUES (?, ?, ?, ?, ${COUNTERS.map(() => "?").join(", ")})`,
  );
  for (const [key, row] of rollups) {
    const [g, bucket, channel] = key.split("|");
    insRollup.run(creatorId, g!, bucket!, channel!, ...COUNTERS.map((c) => row[c]!));
  }
  const insSketch = db.prepare("INSERT INTO analytics_active_users (creator_id, day, registers) VALUES (?, ?, ?)");
  for (const [day, regs] of sketches) insSketch.run(creatorId, day, [...regs].map((r) => r.toString(16).toUpperCase().padStart(2, "0")).join(""));
  db.exec("COMMIT");
  // The exact distinct count of the last 7 and 90 days, to compare with the sketch's estimate.
  const exact = (days: number) => {
    const since = new Date(now - (days - 1) * 24 * HOUR).toISOString().slice(0, 10);
    const all = new Set<string>();
    for (const [day, users] of activeByDay) if (day >= since) for (const u of users) all.add(u);
    return all.size;
  };
  return { messages: written, conversations, users: Math.ceil(conversations / CONVERSATIONS_PER_USER), rollupRows: rollups.size, exactActive7d: exact(7), exactActive90d: exact(90) };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const activeSeen = new Map<string, number>();

async function measure(url: string, token: string, path: string) {
  const times: number[] = [];
  const rows = new Set<number>();
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    rows.add(Number(res.headers.get("X-D1-Rows-Read")));
    if (i === 0 && path.includes("overview")) activeSeen.set(`${token}|${path}`, ((await (await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { summary: { active_users: number } }).summary.active_users);
  }
  times.sort((a, b) => a - b);
  return { p50: Math.round(pct(times, 50) * 10) / 10, p99: Math.round(pct(times, 99) * 10) / 10, rowsRead: [...rows].join("/") };
}

async function register(url: string, label: string) {
  const res = await fetch(`${url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: `bench-${label}-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: `Bench ${label}` }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; creator: { id: string } };
  return { token: body.access_token, creatorId: body.creator.id };
}

// Seeding writes the D1 file while no wrangler dev holds it: register, stop, seed, start again.
const persistDir = mkdtempSync(join(tmpdir(), "edgecoach-bench-analytics-"));
const vars = { RATE_LIMITS_ENABLED: "false" };
const first = await startWranglerDev({ persistDir, vars });
const small = await register(first.url, "small");
const large = await register(first.url, "large");
await first.stop();
const server = { url: "", stop: async () => {} };
try {
  const db = new DatabaseSync(findD1File(persistDir));
  db.exec("PRAGMA busy_timeout = 10000");
  const seeded: Record<string, ReturnType<typeof seed> & { seconds: number }> = {};
  for (const [label, who, n] of [["small", small, SMALL], ["large", large, LARGE]] as const) {
    const t = performance.now();
    seeded[label] = { ...seed(db, who.creatorId, n), seconds: Math.round((performance.now() - t) / 100) / 10 };
  }
  const total = (db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
  db.close();
  const live = await startWranglerDev({ persistDir, vars });
  Object.assign(server, { url: live.url, stop: live.stop });
  const endpoints = [
    "/api/v1/analytics/overview?period=7d",
    "/api/v1/analytics/overview?period=90d",
    "/api/v1/creators/dashboard/metrics",
    "/api/v1/analytics/detailed?metric=interactions&granularity=day&segment=channel&start_date=" + new Date(Date.now() - 89 * 24 * HOUR).toISOString().slice(0, 10),
    "/api/v1/analytics/detailed?metric=response_time&granularity=hour&segment=channel&start_date=" + new Date(Date.now() - 6 * 24 * HOUR).toISOString().slice(0, 10),
    "/api/admin/analytics/dashboard?startDate=" + new Date(Date.now() - 89 * 24 * HOUR).toISOString().slice(0, 10),
  ];
  // Warm up both (first requests compile, open the DB).
  for (const who of [small, large]) for (const p of endpoints) await fetch(`${server.url}${p}`, { headers: { Authorization: `Bearer ${who.token}` } });
  const results: Record<string, unknown>[] = [];
  for (const p of endpoints) {
    // Alternate which creator goes first per endpoint: the shared machine's noise hits both alike.
    const order = results.length % 2 ? [["large", large], ["small", small]] as const : [["small", small], ["large", large]] as const;
    const row: Record<string, unknown> = { endpoint: p.replace(/start_date=[\d-]+|startDate=[\d-]+/, (m) => m.split("=")[0] + "=-90d/-7d") };
    for (const [label, who] of order) {
      const m = await measure(server.url, who.token, p);
      row[`${label} p50 ms`] = m.p50;
      row[`${label} p99 ms`] = m.p99;
      row[`${label} rows read`] = m.rowsRead;
    }
    results.push(row);
  }
  const estimates = Object.fromEntries(
    [["small", small], ["large", large]].map(([label, who]) => [label, { active7d: activeSeen.get(`${(who as { token: string }).token}|/api/v1/analytics/overview?period=7d`), active90d: activeSeen.get(`${(who as { token: string }).token}|/api/v1/analytics/overview?period=90d`) }]),
  );
  console.log(JSON.stringify({ seeded, active_user_estimates: estimates, messages_in_d1: total, requests_per_endpoint: REQUESTS, loadavg: loadavg().map((l) => l.toFixed(2)) }, null, 2));
  console.table(results);
} finally {
  await server.stop();
  rmSync(persistDir, { recursive: true, force: true });
}
