// Webhook ingest benchmark on loopback: a real `wrangler dev`, the local Telegram stand-in, and
// CONCURRENCY senders posting UPDATES distinct Telegram updates (plus DUPLICATE_RATE redeliveries).
// Reports the webhook's 200-OK latency (p50/p99), ingest rate, and the time from posting an update
// to its reply reaching the local Bot API — and checks that every update was answered exactly once.
//   node bench/channels-webhooks.ts            (Node 22; UPDATES=600 CONCURRENCY=200 by default)
import { performance } from "node:perf_hooks";
import { startPlatformStub } from "../test/support/platform-stub.ts";
import { startWranglerDev } from "../test/support/wrangler-dev.ts";

const UPDATES = Number(process.env.UPDATES ?? 600);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 200);
const DUPLICATE_RATE = Number(process.env.DUPLICATE_RATE ?? 0.1);
const PER_SECOND = process.env.TELEGRAM_MESSAGES_PER_SECOND ?? "30";
const DEADLINE_MS = Number(process.env.DEADLINE_MS ?? 180_000);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (n: number) => `${n.toFixed(1)} ms`;

const stub = await startPlatformStub();
const dev = await startWranglerDev({
  vars: { TELEGRAM_API_BASE_URL: `${stub.url}/telegram`, RATE_LIMITS_ENABLED: "false", TELEGRAM_MESSAGES_PER_SECOND: PER_SECOND, LOG_LEVEL: "warn" },
});
try {
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

  // Each update comes from its own chat, so per-chat pacing (1/s) doesn't serialise the run.
  const deliveries: number[] = [];
  for (let i = 0; i < UPDATES; i++) deliveries.push(i);
  for (let i = 0; i < Math.round(UPDATES * DUPLICATE_RATE); i++) deliveries.push(Math.floor(Math.random() * UPDATES));
  const postedAt = new Map<number, number>();
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const wallStart = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < deliveries.length) {
        const i = deliveries[next++]!;
        const chat = 900_000_000 + i;
        const body = JSON.stringify({
          update_id: 500_000 + i,
          message: { message_id: 1, from: { id: chat, is_bot: false, first_name: `User ${i}` }, chat: { id: chat, type: "private", first_name: `User ${i}` }, date: Math.floor(Date.now() / 1000), text: `Question number ${i}: how many rest days?` },
        });
        if (!postedAt.has(chat)) postedAt.set(chat, Date.now());
        const t0 = performance.now();
        const res = await fetch(`${dev.url}/webhooks/telegram/${channel.id}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret },
          body,
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 200) failures++;
      }
    }),
  );
  const ingestSeconds = (performance.now() - started) / 1000;

  const deadline = Date.now() + DEADLINE_MS;
  while (stub.calls({ key: botToken, method: "sendMessage" }).length < UPDATES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  // A little longer: a duplicate reply would show up now.
  await new Promise((r) => setTimeout(r, 3000));
  const sends = stub.calls({ key: botToken, method: "sendMessage" });
  const perChat = new Map<number, number[]>();
  for (const s of sends) perChat.set(Number(s.body.chat_id), [...(perChat.get(Number(s.body.chat_id)) ?? []), s.at]);
  const answeredOnce = [...postedAt.keys()].filter((chat) => perChat.get(chat)?.length === 1).length;
  const duplicates = [...perChat.values()].filter((v) => v.length > 1).length;
  const e2e = [...postedAt.entries()].filter(([chat]) => perChat.has(chat)).map(([chat, at]) => perChat.get(chat)![0]! - at).sort((a, b) => a - b);
  const lastReply = Math.max(...sends.map((s) => s.at));
  latencies.sort((a, b) => a - b);

  console.log(JSON.stringify({
    date: new Date().toISOString(),
    // The machine's load matters more than anything here: wrangler dev runs the Worker, D1, the queue and its consumer in one workerd.
    load_average_1m: +(await import("node:os")).loadavg()[0]!.toFixed(2),
    updates: UPDATES,
    deliveries: deliveries.length,
    concurrency: CONCURRENCY,
    telegram_messages_per_second: Number(PER_SECOND),
    non_200: failures,
    webhook_200_ms: { p50: +pct(latencies, 50).toFixed(2), p99: +pct(latencies, 99).toFixed(2), max: +latencies.at(-1)!.toFixed(2) },
    ingest_updates_per_second: +(deliveries.length / ingestSeconds).toFixed(1),
    update_to_reply_ms: e2e.length ? { p50: pct(e2e, 50), p99: pct(e2e, 99), max: e2e.at(-1) } : null,
    replies_per_second: +(sends.length / ((lastReply - wallStart) / 1000)).toFixed(1),
    answered_exactly_once: answeredOnce,
    unanswered: UPDATES - perChat.size,
    answered_more_than_once: duplicates,
  }, null, 2));
  console.error(`webhook 200 OK p50 ${ms(pct(latencies, 50))}, p99 ${ms(pct(latencies, 99))}; ${answeredOnce}/${UPDATES} answered exactly once`);
  if (answeredOnce !== UPDATES || failures) process.exitCode = 1;
} finally {
  await dev.stop();
  await stub.close();
}
