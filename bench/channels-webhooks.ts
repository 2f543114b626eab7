// Webhook ingest benchmark on loopback: a real `wrangler dev`, the local Telegram stand-in, and
// Telegram updates posted to the webhook (each from its own chat, plus DUPLICATE_RATE redeliveries).
// Reports the webhook's 200-OK latency (p50/p99), ingest rate, and the time from posting an update
// to its reply reaching the local Bot API — and checks that every update was answered exactly once.
// Two loads, each on two systems in the same run:
//   closed — CONCURRENCY senders post back to back (saturation: latency ≈ concurrency / throughput);
//   open   — updates arrive at a fixed RATE per second whatever the answers do (latency is measured
//            from the scheduled send time, so a stalled server can't hide its queue);
//   systems — EdgeCoach; EdgeCoach with the channel paused (the webhook acknowledges and drops: the
//            request path alone, with no queue consumer competing for the one local workerd); and a control Worker (bench/webhook-control/: secret check, one queue send,
//            200; its consumer sends one reply) that shows what `wrangler dev` itself costs here.
//   node bench/channels-webhooks.ts     (Node 22; env: UPDATES, CONCURRENCY, RATES, SYSTEMS, MODES)
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { groupCpu } from "./cpu.mjs";
import { startPlatformStub, type PlatformStub } from "../test/support/platform-stub.ts";
import { ROOT, startWranglerDev, type DevServer } from "../test/support/wrangler-dev.ts";
import { machine, ratio, writeResult, type Ratio } from "./lib/report.ts";

const MACHINE = machine();

const UPDATES = Number(process.env.UPDATES ?? 600);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 200);
const RATES = (process.env.RATES ?? "20,50").split(",").map(Number).filter((n) => n > 0);
const DUPLICATE_RATE = Number(process.env.DUPLICATE_RATE ?? 0.1);
const PER_SECOND = process.env.TELEGRAM_MESSAGES_PER_SECOND ?? "30";
const DEADLINE_MS = Number(process.env.DEADLINE_MS ?? 180_000);
const SYSTEMS = (process.env.SYSTEMS ?? "edgecoach,edgecoach-paused,control").split(",");
const MODES = (process.env.MODES ?? "closed,open").split(",");

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: string;
  url: string;
  secret: string;
  botToken: string;
  dedupes: boolean;
  /** False when the system acknowledges without answering (the paused channel). */
  replies: boolean;
  pid: number;
  stop(): Promise<void>;
}

async function edgecoach(stub: PlatformStub, paused = false): Promise<Target> {
  const dev = await startWranglerDev({
    vars: { TELEGRAM_API_BASE_URL: `${stub.url}/telegram`, RATE_LIMITS_ENABLED: "false", TELEGRAM_MESSAGES_PER_SECOND: PER_SECOND, LOG_LEVEL: "warn", ...(process.env.JOB_CONCURRENCY ? { JOB_CONCURRENCY: process.env.JOB_CONCURRENCY } : {}) },
  });
  const reg = await fetch(`${dev.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Bench" }),
  });
  const { access_token } = (await reg.json()) as { access_token: string };
  const botToken = `7009876543:AAH${"b".repeat(32)}`;
  const created = await fetch(`${dev.url}/api/v1/channels`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${access_token}` },
    body: JSON.stringify({ channel_type: "telegram", channel_name: "Bench bot", configuration: { bot_token: botToken } }),
  });
  const channel = (await created.json()) as { id: string; status: string };
  if (channel.status !== "active") throw new Error(`channel not active: ${JSON.stringify(channel)}`);
  const secret = stub.calls({ key: botToken, method: "setWebhook" })[0]!.body.secret_token as string;
  if (paused) {
    const put = await fetch(`${dev.url}/api/v1/channels/${channel.id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${access_token}` },
      body: JSON.stringify({ status: "inactive" }),
    });
    if (!put.ok) throw new Error(`could not pause the channel: ${put.status} ${await put.text()}`);
  }
  const name = paused ? "EdgeCoach, channel paused (request path only)" : "EdgeCoach";
  return { name, url: `${dev.url}/webhooks/telegram/${channel.id}`, secret, botToken, dedupes: !paused, replies: !paused, pid: dev.process.pid!, stop: () => dev.stop() };
}

async function control(stub: PlatformStub): Promise<Target> {
  const botToken = `7009876543:AAH${"c".repeat(32)}`;
  const dev: DevServer = await startWranglerDev({
    vars: { TELEGRAM_API_BASE_URL: `${stub.url}/telegram`, BOT_TOKEN: botToken },
    args: ["--config", join(ROOT, "bench", "webhook-control", "wrangler.toml")],
  });
  return { name: "control (bench/webhook-control)", url: `${dev.url}/webhook`, secret: "control-secret", botToken, dedupes: false, replies: true, pid: dev.process.pid!, stop: () => dev.stop() };
}

/** One load on one system: post the deliveries, wait for the replies, count them per chat. */
async function run(stub: PlatformStub, t: Target, mode: string, rate: number, base: number) {
  const deliveries: number[] = [];
  for (let i = 0; i < UPDATES; i++) deliveries.push(i);
  // The control has no de-duplication by design; redeliveries only make sense against EdgeCoach.
  if (t.dedupes) for (let i = 0; i < Math.round(UPDATES * DUPLICATE_RATE); i++) deliveries.push(Math.floor(Math.random() * UPDATES));
  if (mode === "open") deliveries.sort(() => Math.random() - 0.5);
  const before = stub.calls({ key: t.botToken, method: "sendMessage" }).length;
  const postedAt = new Map<number, number>();
  const latencies: number[] = [];
  let failures = 0;
  const load0 = loadavg()[0]!;
  const cpu0 = groupCpu(t.pid);

  const post = async (i: number, scheduled: number) => {
    const chat = base + i;
    const body = JSON.stringify({
      update_id: base + i,
      message: { message_id: 1, from: { id: chat, is_bot: false, first_name: `User ${i}` }, chat: { id: chat, type: "private", first_name: `User ${i}` }, date: Math.floor(Date.now() / 1000), text: `Question number ${i}: how many rest days?` },
    });
    if (!postedAt.has(chat)) postedAt.set(chat, Date.now());
    try {
      const res = await fetch(t.url, { method: "POST", headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": t.secret }, body });
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
    } catch {
      failures++;
    }
    latencies.push(performance.now() - scheduled);
  };

  const started = performance.now();
  const wallStart = Date.now();
  if (mode === "closed") {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < deliveries.length) {
          const i = deliveries[next++]!;
          await post(i, performance.now());
        }
      }),
    );
  } else {
    // Open loop: delivery k is due at k / rate seconds, sent then whatever happened before.
    const inFlight: Promise<void>[] = [];
    for (let k = 0; k < deliveries.length; k++) {
      const due = started + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(post(deliveries[k]!, due));
    }
    await Promise.all(inFlight);
  }
  const ingestSeconds = (performance.now() - started) / 1000;

  const deadline = Date.now() + DEADLINE_MS;
  const sendsNow = () => stub.calls({ key: t.botToken, method: "sendMessage" }).slice(before);
  while (t.replies && new Set(sendsNow().map((s) => Number(s.body.chat_id))).size < UPDATES && Date.now() < deadline) await sleep(250);
  // The whole job (requests, queue, consumer, replies), per process of wrangler dev.
  const cpu1 = groupCpu(t.pid);
  const cpuByProcess = Object.fromEntries(Object.entries(cpu1).map(([role, s]) => [role, +((1000 * (s - (cpu0[role] ?? 0))) / deliveries.length).toFixed(1)]));
  const cpuSeconds = Object.entries(cpu1).reduce((a, [role, s]) => a + s - (cpu0[role] ?? 0), 0);
  await sleep(3000); // a duplicate reply would show up now
  const sends = sendsNow();
  const perChat = new Map<number, number[]>();
  for (const s of sends) perChat.set(Number(s.body.chat_id), [...(perChat.get(Number(s.body.chat_id)) ?? []), s.at]);
  const answeredOnce = [...postedAt.keys()].filter((chat) => perChat.get(chat)?.length === 1).length;
  const e2e = [...postedAt.entries()].filter(([chat]) => perChat.has(chat)).map(([chat, at]) => perChat.get(chat)![0]! - at).sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  return {
    system: t.name,
    load: mode === "closed" ? `closed, ${CONCURRENCY} senders` : `open, ${rate} updates/s`,
    load_average_1m: +load0.toFixed(1),
    deliveries: deliveries.length,
    non_200: failures,
    webhook_200_ms: { p50: +pct(latencies, 50).toFixed(1), p99: +pct(latencies, 99).toFixed(1), max: +latencies.at(-1)!.toFixed(1) },
    ingest_updates_per_second: +(deliveries.length / ingestSeconds).toFixed(1),
    cpu_ms_per_update: +((1000 * cpuSeconds) / deliveries.length).toFixed(1),
    cpu_ms_per_update_by_process: cpuByProcess,
    update_to_reply_ms: e2e.length ? { p50: pct(e2e, 50), p99: pct(e2e, 99) } : null,
    replies_per_second: sends.length ? +(sends.length / ((Math.max(...sends.map((s) => s.at)) - wallStart) / 1000)).toFixed(1) : 0,
    answered_exactly_once: answeredOnce,
    unanswered: UPDATES - perChat.size,
    answered_more_than_once: [...perChat.values()].filter((v) => v.length > 1).length,
  };
}

const stub = await startPlatformStub();
const results: (Awaited<ReturnType<typeof run>> & { key: string })[] = [];
try {
  for (const system of SYSTEMS) {
    const t = system === "control" ? await control(stub) : await edgecoach(stub, system === "edgecoach-paused");
    try {
      let base = 900_000_000;
      for (const mode of MODES) {
        for (const rate of mode === "open" ? RATES : [0]) {
          const r = { key: `${system}:${mode === "open" ? `open-${rate}` : "closed"}`, ...(await run(stub, t, mode, rate, base)) };
          base += 1_000_000;
          results.push(r);
          console.error(`${r.system} | ${r.load}: 200 OK p50 ${r.webhook_200_ms.p50} ms, p99 ${r.webhook_200_ms.p99} ms; ${r.answered_exactly_once}/${UPDATES} answered exactly once (load ${r.load_average_1m})`);
        }
      }
    } finally {
      await t.stop();
    }
  }
} finally {
  await stub.close();
}
console.log(JSON.stringify({ date: new Date().toISOString(), updates: UPDATES, telegram_messages_per_second: Number(PER_SECOND), results }, null, 2));
console.log("\n| system | load | webhook 200 OK p50 / p99 | ingest | CPU ms / update | update → reply p50 / p99 | replies/s | answered exactly once | load avg |\n|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  const e2e = r.update_to_reply_ms ? `${(r.update_to_reply_ms.p50 / 1000).toFixed(1)} / ${(r.update_to_reply_ms.p99 / 1000).toFixed(1)} s` : "—";
  const answered = r.system.includes("paused") ? "— (dropped by design)" : `${r.answered_exactly_once}/${UPDATES} (${r.answered_more_than_once} twice, ${r.unanswered} never)`;
  console.log(`| ${r.system} | ${r.load} | ${r.webhook_200_ms.p50} / ${r.webhook_200_ms.p99} ms | ${r.ingest_updates_per_second}/s | ${r.cpu_ms_per_update} | ${r.system.includes("paused") ? "—" : e2e} | ${r.system.includes("paused") ? "—" : r.replies_per_second} | ${answered} | ${r.load_average_1m} |`);
}
// The common result format: systems by "<system>:<load>", ratios to the control under the same load.
const ratios: Ratio[] = [];
const byKey = Object.fromEntries(results.map((r) => [r.key, r]));
for (const load of [...new Set(results.map((r) => r.key.split(":")[1]!))]) {
  const c = byKey[`control:${load}`];
  for (const sys of ["edgecoach", "edgecoach-paused"]) {
    const x = byKey[`${sys}:${load}`];
    if (!x || !c) continue;
    ratios.push({ name: `${sys} ${load}: webhook 200 OK p99 / control`, value: ratio(x.webhook_200_ms.p99, c.webhook_200_ms.p99) });
    ratios.push({ name: `${sys} ${load}: CPU ms per update / control`, value: ratio(x.cpu_ms_per_update, c.cpu_ms_per_update) });
    if (sys === "edgecoach") ratios.push({ name: `${sys} ${load}: replies/s / control`, value: ratio(x.replies_per_second, c.replies_per_second) });
  }
}
writeResult("channels", {
  params: { updates: UPDATES, concurrency: CONCURRENCY, rates: RATES, duplicate_rate: DUPLICATE_RATE, telegram_messages_per_second: Number(PER_SECOND), systems: SYSTEMS, modes: MODES },
  machine: MACHINE,
  systems: byKey,
  ratios,
});
if (results.some((r) => r.system === "EdgeCoach" && (r.answered_exactly_once !== UPDATES || r.non_200))) process.exitCode = 1;
