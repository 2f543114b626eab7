// Realtime benchmark (bounded, loopback only): EdgeCoach's conversation Durable Objects under
// `wrangler dev`, a control (a minimal DO that only stores and acks, bench/realtime-control/, under
// its own `wrangler dev`) and a minimal Socket.IO + SQLite server, driven by the same load from this process.
// - Closed loop: N concurrent conversations, each sending M messages one after another (send → wait
//   for ack): ack latency p50/p99, messages/s, and zero loss verified by reading every message back.
// - Fan-out: one message to 50 sockets of one conversation: time until the last socket has it.
// - Open loop: each conversation sends at a fixed rate (BENCH_RATE msg/s, default 1 → 200 msg/s in
//   all) for BENCH_OPEN_SECONDS, without waiting for acks: ack latency under a load below saturation.
// Run: npm run bench:realtime  (BENCH_CONVERSATIONS, BENCH_MESSAGES, BENCH_FANOUT, BENCH_RATE,
// BENCH_OPEN_SECONDS override the sizes; BENCH_ONLY=0,1,2,3 picks systems)
import { fork, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import { freePort, ROOT, startWranglerDev, type DevServer } from "../test/support/wrangler-dev";
import { machine, ratio, writeResult } from "./lib/report.ts";

const MACHINE = machine();

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 200);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 25);
const WARMUP = 2;
const FANOUT = Number(process.env.BENCH_FANOUT ?? 50);
const FANOUT_ROUNDS = 20;
/** Open loop: messages per second per conversation, and how long. */
const RATE = Number(process.env.BENCH_RATE ?? 1);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 20);
/** Hard bound for each measured phase. */
const PHASE_LIMIT_MS = 180_000;

type Stats = { count: number; p50: number; p99: number; mean: number; max: number };
function stats(samples: number[]): Stats {
  const s = samples.slice().sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: s.length, p50: r(at(0.5)), p99: r(at(0.99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length), max: r(s.at(-1) ?? NaN) };
}

async function pool<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} exceeded ${PHASE_LIMIT_MS} ms`)), PHASE_LIMIT_MS).unref())]);
}

/** The two systems behind one small interface, so the load is literally the same code. */
interface Chat {
  /** Sends and resolves with the seq from the ack. */
  send(id: string, text: string): Promise<number>;
  /** Resolves when this socket receives the broadcast of client id `id`. */
  receive(id: string): Promise<void>;
  close(): void;
}

interface System {
  name: string;
  openConversation(): Promise<{ key: string; connect(): Promise<Chat> }>;
  readBack(key: string, via: Chat): Promise<{ seq: number; clientId: string }[]>;
  stop(): Promise<void>;
}

// ---- EdgeCoach ------------------------------------------------------------------------------------

class EdgeChat implements Chat {
  private acks = new Map<string, (seq: number) => void>();
  private waits = new Map<string, () => void>();
  private seen = new Set<string>();
  constructor(private ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(String(e.data)) as { type: string; id?: string; seq?: number; clientId?: string };
      if (f.type === "ack") this.acks.get(f.id!)?.(f.seq!);
      else if (f.type === "message" && f.clientId) {
        this.seen.add(f.clientId);
        this.waits.get(f.clientId)?.();
      }
    });
  }
  static open(url: string): Promise<EdgeChat> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const chat = new EdgeChat(ws);
      ws.addEventListener("message", function first(e) {
        if ((JSON.parse(String(e.data)) as { type: string }).type === "connection_established") {
          ws.removeEventListener("message", first);
          resolve(chat);
        }
      });
      ws.addEventListener("error", () => reject(new Error("connect failed")), { once: true });
    });
  }
  raw(frame: unknown) {
    this.ws.send(JSON.stringify(frame));
  }
  send(id: string, text: string) {
    return new Promise<number>((resolve) => {
      this.acks.set(id, (seq) => {
        this.acks.delete(id);
        resolve(seq);
      });
      this.ws.send(JSON.stringify({ type: "message", id, text }));
    });
  }
  receive(id: string) {
    if (this.seen.has(id)) return Promise.resolve();
    return new Promise<void>((resolve) => this.waits.set(id, () => (this.waits.delete(id), resolve())));
  }
  close() {
    this.ws.close(1000);
  }
}

async function edgecoach(): Promise<System> {
  const server: DevServer = await startWranglerDev({
    vars: { RATE_LIMITS_ENABLED: "false", ...(process.env.BENCH_OUTBOX_DELAY_MS && { OUTBOX_DELAY_MS: process.env.BENCH_OUTBOX_DELAY_MS }) },
  });
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const owner = await post("/api/v1/auth/register", { email: `bench-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Bench" });
  const token = owner.access_token as string;
  const cfg = (await (await fetch(`${server.url}/api/v1/creators/widget/config`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { widget_key: string };
  const ws = server.url.replace(/^http/, "ws");
  return {
    name: "EdgeCoach (Durable Object per conversation, wrangler dev)",
    async openConversation() {
      const s = await post("/api/v1/channels/sessions", { widget_key: cfg.widget_key });
      return {
        key: s.conversation_id as string,
        async connect() {
          const chat = await EdgeChat.open(`${ws}${s.websocket_url}?token=${encodeURIComponent(s.token)}`);
          return chat;
        },
      };
    },
    async readBack(conversationId) {
      // The D1 mirror, written by the outbox: what the REST API and analytics see.
      const res = await fetch(`${server.url}/api/v1/conversations/${conversationId}/messages?limit=200`, { headers: { Authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { messages: { seq: number; sender: string; client_message_id: string | null }[] };
      return body.messages.filter((m) => m.sender === "user").map((m) => ({ seq: m.seq, clientId: m.client_message_id! }));
    },
    stop: () => server.stop(),
  };
}

// ---- Control: a minimal Durable Object under its own wrangler dev -----------------------------------

async function control(): Promise<System> {
  const port = await freePort();
  const inspector = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "edgecoach-control-"));
  const child = spawn(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    ["dev", "--config", join(ROOT, "bench", "realtime-control", "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port),
     "--inspector-port", String(inspector), "--persist-to", dir, "--log-level", "warn", "--show-interactive-dev-session=false"],
    { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
  );
  child.stdout!.resume();
  child.stderr!.resume();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("control wrangler dev did not start");
    try {
      if ((await fetch(`${url}/history?conversation=probe`)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  let n = 0;
  return {
    name: "Control: minimal DO (SQLite insert + ack + broadcast, hibernatable WebSocket), wrangler dev",
    async openConversation() {
      const key = `control-${++n}`;
      return { key, connect: () => EdgeChat.open(`${url.replace(/^http/, "ws")}/connect?conversation=${key}`) };
    },
    async readBack(key) {
      const rows = (await (await fetch(`${url}/history?conversation=${key}`)).json()) as { seq: number; client_id: string }[];
      return rows.map((r) => ({ seq: r.seq, clientId: r.client_id }));
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- Socket.IO + SQLite baseline -------------------------------------------------------------------

class IoChat implements Chat {
  private seen = new Set<string>();
  private waits = new Map<string, () => void>();
  constructor(readonly socket: Socket) {
    socket.on("message", (m: { id: string }) => {
      this.seen.add(m.id);
      this.waits.get(m.id)?.();
    });
  }
  async send(id: string, text: string) {
    const ack = (await this.socket.emitWithAck("message", { id, text })) as { seq: number };
    return ack.seq;
  }
  receive(id: string) {
    if (this.seen.has(id)) return Promise.resolve();
    return new Promise<void>((resolve) => this.waits.set(id, () => (this.waits.delete(id), resolve())));
  }
  close() {
    this.socket.close();
  }
}

/** better-sqlite3 is native: use a Node it was built for (this machine's Node 20 when Node 22's fails). */
function nodeForBaseline(): string {
  for (const candidate of [process.execPath, "/usr/bin/node"]) {
    const ok = spawnSync(candidate, ["-e", "new (require('better-sqlite3'))(':memory:')"], { cwd: ROOT });
    if (ok.status === 0) return candidate;
  }
  throw new Error("better-sqlite3 loads under no available Node");
}

async function baseline(synchronous: "FULL" | "NORMAL"): Promise<System> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "edgecoach-sio-"));
  const child = fork(join(ROOT, "bench/baseline/socketio-server.cjs"), [String(port), join(dir, "chat.db"), synchronous], {
    execPath: nodeForBaseline(),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`baseline exited ${code}`)));
  });
  let n = 0;
  return {
    name: `Socket.IO 4 + better-sqlite3 (WAL, synchronous=${synchronous}), one Node process`,
    async openConversation() {
      const key = `conv-${++n}`;
      return {
        key,
        connect: () =>
          new Promise<Chat>((resolve, reject) => {
            const socket = io(`http://127.0.0.1:${port}`, { transports: ["websocket"], query: { conversation: key }, forceNew: true, reconnection: false });
            socket.once("connect", () => resolve(new IoChat(socket)));
            socket.once("connect_error", reject);
          }),
      };
    },
    async readBack(_key, via) {
      const rows = (await (via as IoChat).socket.emitWithAck("history", {})) as { seq: number; client_id: string }[];
      return rows.map((r) => ({ seq: r.seq, clientId: r.client_id }));
    },
    async stop() {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- the load --------------------------------------------------------------------------------------

async function run(system: System) {
  const load = loadavg()[0]!.toFixed(1);
  console.error(`\n== ${system.name} (load average ${load})`);
  const convs = await withDeadline(
    (async () => {
      const out: { key: string; chat: Chat }[] = [];
      await pool(Array.from({ length: CONVERSATIONS }), 16, async () => {
        const c = await system.openConversation();
        const chat = await c.connect();
        // EdgeCoach: hand the conversation to a human first so every message is store → ack → broadcast,
        // the same work the baseline does (no AI reply competing for the object).
        if (chat instanceof EdgeChat) {
          chat.raw({ type: "handover_request" });
        }
        out.push({ key: c.key, chat });
      });
      return out;
    })(),
    "setup",
  );
  console.error(`   ${convs.length} conversations connected`);
  await Promise.all(convs.map(async ({ chat, key }) => {
    for (let i = 0; i < WARMUP; i++) await chat.send(`${key}-w${i}`, "warm-up");
  }));

  const latencies: number[] = [];
  const acked = new Map<string, Map<string, number>>();
  const started = performance.now();
  await withDeadline(
    Promise.all(
      convs.map(async ({ key, chat }) => {
        const mine = new Map<string, number>();
        acked.set(key, mine);
        for (let i = 0; i < MESSAGES; i++) {
          const id = `${key}-m${i}`;
          const t0 = performance.now();
          const seq = await chat.send(id, `message ${i} of a benchmark conversation`);
          latencies.push(performance.now() - t0);
          mine.set(id, seq);
        }
      }),
    ),
    "load",
  );
  const seconds = (performance.now() - started) / 1000;
  const ack = stats(latencies);
  console.error(`   ${latencies.length} messages in ${seconds.toFixed(2)} s; ack p50 ${ack.p50} ms p99 ${ack.p99} ms`);

  // Zero loss: every acked message read back, once, with the seq it was acked with.
  let lost = 0;
  let duplicated = 0;
  const deadline = Date.now() + 60_000;
  for (const { key, chat } of convs) {
    const want = acked.get(key)!;
    let rows: { seq: number; clientId: string }[] = [];
    for (;;) {
      rows = (await system.readBack(key, chat)).filter((r) => want.has(r.clientId));
      if (rows.length >= want.size || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200)); // the D1 outbox may still be flushing
    }
    const got = new Map<string, number>();
    for (const r of rows) {
      if (got.has(r.clientId)) duplicated++;
      got.set(r.clientId, r.seq);
    }
    for (const [id, seq] of want) if (got.get(id) !== seq) lost++;
  }
  console.error(`   read back: ${lost} lost, ${duplicated} duplicated`);

  // Fan-out: FANOUT sockets on one conversation; the first one sends.
  const target = await system.openConversation();
  const sockets = await Promise.all(Array.from({ length: FANOUT }, () => target.connect()));
  if (sockets[0] instanceof EdgeChat) sockets[0].raw({ type: "handover_request" });
  await sockets[0]!.send("fan-warm", "warm-up");
  await Promise.all(sockets.map((s) => s.receive("fan-warm")));
  const fanout: number[] = [];
  await withDeadline(
    (async () => {
      for (let r = 0; r < FANOUT_ROUNDS; r++) {
        const id = `fan-${r}`;
        const t0 = performance.now();
        const all = Promise.all(sockets.map((s) => s.receive(id)));
        await sockets[0]!.send(id, `fan-out round ${r}`);
        await all;
        fanout.push(performance.now() - t0);
      }
    })(),
    "fan-out",
  );
  const fan = stats(fanout);
  console.error(`   fan-out to ${FANOUT} sockets: p50 ${fan.p50} ms p99 ${fan.p99} ms`);
  for (const s of sockets) s.close();

  const open = await openLoop(convs);
  for (const c of convs) c.chat.close();
  return {
    system: system.name,
    load_average_at_start: Number(load),
    conversations: convs.length,
    messages: latencies.length,
    seconds: Math.round(seconds * 100) / 100,
    messages_per_second: Math.round(latencies.length / seconds),
    ack_ms: ack,
    lost,
    duplicated,
    fanout_sockets: FANOUT,
    fanout_ms: fan,
    open_loop: open,
  };
}

/**
 * Open loop: every conversation sends RATE msg/s for OPEN_SECONDS on its own schedule (starts spread
 * over the first period), whether or not earlier acks came back; latency = scheduled send → ack.
 */
async function openLoop(convs: { key: string; chat: Chat }[]) {
  const load = loadavg()[0]!.toFixed(1);
  const period = 1000 / RATE;
  const perConversation = Math.round(RATE * OPEN_SECONDS);
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    convs.map(async ({ key, chat }, c) => {
      const offset = (period * c) / convs.length;
      const pending: Promise<void>[] = [];
      for (let i = 0; i < perConversation; i++) {
        const due = started + offset + i * period;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const t0 = performance.now();
        const acked = chat.send(`${key}-o${i}`, `open-loop message ${i}`).then(() => void latencies.push(performance.now() - t0));
        // An ack that never comes counts as unacked after 30 s, it doesn't hang the run.
        pending.push(Promise.race([acked, new Promise<void>((r) => setTimeout(r, 30_000).unref())]));
      }
      await Promise.all(pending);
    }),
  );
  const sent = convs.length * perConversation;
  const unacked = sent - latencies.length;
  const seconds = (performance.now() - started) / 1000;
  const s = stats(latencies);
  console.error(`   open loop ${convs.length} × ${RATE} msg/s for ${OPEN_SECONDS} s (load ${load}): ${latencies.length}/${sent} acked, ack p50 ${s.p50} ms p99 ${s.p99} ms`);
  return { rate_per_conversation: RATE, offered_per_second: convs.length * RATE, seconds_offered: OPEN_SECONDS, seconds_total: Math.round(seconds * 100) / 100, sent, unacked, ack_ms: s, load_average_at_start: Number(load) };
}

const results = [];
const keys: string[] = [];
const only = process.env.BENCH_ONLY;
const SYSTEM_KEYS = ["edgecoach", "control", "socketio_full", "socketio_normal"];
for (const [i, make] of [edgecoach, control, () => baseline("FULL"), () => baseline("NORMAL")].entries()) {
  if (only && !only.split(",").includes(String(i))) continue;
  const system = await make();
  try {
    results.push(await run(system));
    keys.push(SYSTEM_KEYS[i]!);
  } finally {
    await system.stop();
  }
}

// The common result format (bench/lib/report.ts): systems by key, ratios to the control and the baseline.
const by = Object.fromEntries(results.map((r, i) => [keys[i]!, r]));
const [e, c, b] = [by.edgecoach, by.control, by.socketio_full];
writeResult("realtime", {
  params: { conversations: CONVERSATIONS, messages_per_conversation: MESSAGES, fanout_sockets: FANOUT, open_loop_rate: RATE, open_loop_seconds: OPEN_SECONDS, only: only ?? "all" },
  machine: MACHINE,
  systems: by,
  ratios: [
    { name: "closed-loop msgs/s: EdgeCoach / control (minimal DO)", value: ratio(e?.messages_per_second, c?.messages_per_second) },
    { name: "closed-loop msgs/s: EdgeCoach / Socket.IO + SQLite (FULL)", value: ratio(e?.messages_per_second, b?.messages_per_second) },
    { name: "closed-loop ack p99: EdgeCoach / control", value: ratio(e?.ack_ms.p99, c?.ack_ms.p99) },
    { name: "open-loop ack p50: EdgeCoach / control", value: ratio(e?.open_loop.ack_ms.p50, c?.open_loop.ack_ms.p50) },
    { name: "open-loop ack p99: EdgeCoach / control", value: ratio(e?.open_loop.ack_ms.p99, c?.open_loop.ack_ms.p99) },
    { name: "fan-out p99: EdgeCoach / control", value: ratio(e?.fanout_ms.p99, c?.fanout_ms.p99) },
    { name: "control msgs/s / Socket.IO + SQLite (FULL): the platform floor vs the baseline", value: ratio(c?.messages_per_second, b?.messages_per_second) },
  ],
});
console.log("| system | conversations × messages | ack p50 | ack p99 | msgs/s | lost / duplicated | fan-out to " + FANOUT + " p50 / p99 | load avg |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(`| ${r.system} | ${r.conversations} × ${MESSAGES} | ${r.ack_ms.p50} ms | ${r.ack_ms.p99} ms | ${r.messages_per_second} | ${r.lost} / ${r.duplicated} | ${r.fanout_ms.p50} / ${r.fanout_ms.p99} ms | ${r.load_average_at_start} |`);
}
console.log(`\nOpen loop: ${CONVERSATIONS} conversations × ${RATE} msg/s (${CONVERSATIONS * RATE} msg/s offered) for ${OPEN_SECONDS} s`);
console.log("| system | acked / sent | ack p50 | ack p99 | max | load avg |");
console.log("|---|---|---|---|---|---|");
for (const r of results) {
  const o = r.open_loop;
  console.log(`| ${r.system} | ${o.sent - o.unacked} / ${o.sent} | ${o.ack_ms.p50} ms | ${o.ack_ms.p99} ms | ${o.ack_ms.max} ms | ${o.load_average_at_start} |`);
}
