import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../workers/api";
import type { JobMessage } from "../../src/jobs/types";
import { storeMessage } from "../../src/modules/channels/conversation-bridge";
import { splitMessage } from "../../src/modules/channels/split";
import { telegramEvents } from "../../src/modules/channels/telegram";
import { api, createCreator, errorOf } from "../helpers";
import { connectTelegram, eventually, postTelegram, stubCalls, stubScript, telegramUpdate, type TelegramChannel } from "../channel-helpers";
import tooMany from "../fixtures/telegram/sendMessage-429.json";
import blockedAnswer from "../fixtures/telegram/sendMessage-403-blocked.json";

// Each test waits for real queue deliveries (the consumer's batch timeout is a second).
vi.setConfig({ testTimeout: 30_000 });

async function messagesOf(channelId: string) {
  const rows = await env.DB.prepare("SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel_id = ? ORDER BY m.seq").bind(channelId).all<any>();
  return rows.results;
}

async function settled(channelId: string, expected: number) {
  const out = (await messagesOf(channelId)).filter((m) => m.sender !== "user");
  return out.length >= expected && out.every((m) => m.delivery_status !== "queued") ? out : undefined;
}

/** A channel with one end user who has written (and been answered), ready for outbound tests. */
async function talkingChannel() {
  const s = await createCreator();
  const ch = await connectTelegram(s);
  await postTelegram(telegramUpdate(1), ch.secret);
  await eventually(() => settled(ch.id, 1), "first reply");
  const conv = await env.DB.prepare("SELECT id FROM conversations WHERE channel_id = ?").bind(ch.id).first<{ id: string }>();
  return { s, ch, conversationId: conv!.id };
}

/** A queued outbound message that only our hand-made batch will deliver (no job on the real queue). */
async function queuedMessage(creatorId: string, conversationId: string, text = "A queued answer") {
  const m = await storeMessage(env, { creatorId, conversationId, sender: "ai", text, deliveryStatus: "queued", metadata: { parts_sent: 0 } });
  return m.messageId;
}

/** Runs one delivery attempt through the Worker's queue handler; also reports the retry delays asked for. */
async function runSend(creatorId: string, messageId: string, attempts: number) {
  const batch = createMessageBatch<JobMessage>("edgecoach-jobs", [{ id: "m1", timestamp: new Date(), attempts, body: { type: "channel.send", creatorId, messageId } }]);
  // getQueueResult reports which messages were retried but not the delay: observe it on the way.
  const delays: (number | undefined)[] = [];
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    m.retry = (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

const row = (id: string) => env.DB.prepare("SELECT * FROM messages WHERE id = ?").bind(id).first<any>();

describe("channel.send queue job", () => {
  it("honours Telegram's retry_after on 429, then sends on the next attempt", async () => {
    const { s, ch, conversationId } = await talkingChannel();
    const id = await queuedMessage(s.creator.id, conversationId);
    await stubScript(ch.token, "sendMessage", [{ status: 429, body: tooMany }]);
    const first = await runSend(s.creator.id, id, 1);
    expect(first.retryMessages).toEqual([{ msgId: "m1" }]);
    expect(first.delays).toEqual([3]);
    expect((await row(id)).delivery_status).toBe("queued");
    const second = await runSend(s.creator.id, id, 2);
    expect(second.explicitAcks).toEqual(["m1"]);
    expect((await row(id)).delivery_status).toBe("sent");
  });

  it("backs off exponentially on 5xx and gives up after the last attempt (failed, acked)", async () => {
    const { s, ch, conversationId } = await talkingChannel();
    const id = await queuedMessage(s.creator.id, conversationId);
    const down = { status: 502, body: { ok: false, error_code: 502, description: "Bad Gateway" } };
    await stubScript(ch.token, "sendMessage", [down, down]);
    expect((await runSend(s.creator.id, id, 1)).delays).toEqual([2]);
    expect((await runSend(s.creator.id, id, 3)).delays).toEqual([8]);
    // A dropped connection is transient too.
    await stubScript(ch.token, "sendMessage", [{ status: 0, body: null }, down]);
    expect((await runSend(s.creator.id, id, 4)).delays).toEqual([16]);
    const last = await runSend(s.creator.id, id, 6);
    expect(last.explicitAcks).toEqual(["m1"]);
    expect(last.retryMessages).toEqual([]);
    const m = await row(id);
    expect(m.delivery_status).toBe("failed");
    expect(JSON.parse(m.metadata)).toMatchObject({ delivery_failure: "gave_up_transient" });
  });

  it("treats 403 blocked as permanent: failed, end user unreachable, no retry", async () => {
    const { s, ch, conversationId } = await talkingChannel();
    const id = await queuedMessage(s.creator.id, conversationId);
    await stubScript(ch.token, "sendMessage", [{ status: 403, body: blockedAnswer }]);
    const result = await runSend(s.creator.id, id, 1);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toEqual(["m1"]);
    const m = await row(id);
    expect(m.delivery_status).toBe("failed");
    expect(JSON.parse(m.metadata)).toMatchObject({ delivery_failure: "blocked", delivery_error: "Forbidden: bot was blocked by the user" });
    const user = await env.DB.prepare("SELECT status FROM end_users WHERE creator_id = ?").bind(s.creator.id).first<{ status: string }>();
    expect(user!.status).toBe("unreachable");
    // A later send to them fails fast without calling Telegram.
    const before = (await stubCalls(ch.token, "sendMessage")).length;
    const next = await queuedMessage(s.creator.id, conversationId);
    await runSend(s.creator.id, next, 1);
    expect((await row(next)).delivery_status).toBe("failed");
    expect(await stubCalls(ch.token, "sendMessage")).toHaveLength(before);
  });

  it("waits for a message not yet in D1, a bounded number of times", async () => {
    const s = await createCreator();
    const missing = crypto.randomUUID();
    expect((await runSend(s.creator.id, missing, 1)).delays).toEqual([2]);
    const last = await runSend(s.creator.id, missing, 6);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks).toEqual(["m1"]);
  });

  it("never sends a message twice when the job is delivered again", async () => {
    const { s, ch, conversationId } = await talkingChannel();
    const id = await queuedMessage(s.creator.id, conversationId, "Exactly once");
    await runSend(s.creator.id, id, 1);
    await runSend(s.creator.id, id, 1);
    const calls = (await stubCalls(ch.token, "sendMessage")).filter((c) => c.body.text === "Exactly once");
    expect(calls).toHaveLength(1);
  });
});

describe("channel.inbound queue job", () => {
  async function runInbound(creatorId: string, channelId: string, eventKey: string, updateId: number) {
    const { event } = telegramEvents(telegramUpdate(updateId, { text: "How long should I rest?" }, 4242) as never)[0]!;
    const batch = createMessageBatch<JobMessage>("edgecoach-jobs", [{ id: "i1", timestamp: new Date(), attempts: 1, body: { type: "channel.inbound", creatorId, channelId, eventKey, event } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    return getQueueResult(batch, ctx);
  }

  it("does an event's work once: a redelivered job is acknowledged without work", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    expect((await runInbound(s.creator.id, ch.id, "update:9001", 9001)).explicitAcks).toEqual(["i1"]);
    expect((await runInbound(s.creator.id, ch.id, "update:9001", 9001)).explicitAcks).toEqual(["i1"]);
    const rows = await messagesOf(ch.id);
    expect(rows.map((m) => m.sender)).toEqual(["user", "ai"]);
    const event = await env.DB.prepare("SELECT processed_at FROM channel_events WHERE channel_id = ? AND event_key = 'update:9001'").bind(ch.id).first<{ processed_at: string | null }>();
    expect(event!.processed_at).toEqual(expect.any(String));
  });

  it("finishes an event whose earlier run stopped half-way (recorded, not processed)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await env.DB.prepare("INSERT INTO channel_events (channel_id, event_key, creator_id, kind) VALUES (?, 'update:9002', ?, 'message')").bind(ch.id, s.creator.id).run();
    await runInbound(s.creator.id, ch.id, "update:9002", 9002);
    expect((await messagesOf(ch.id)).map((m) => m.sender)).toEqual(["user", "ai"]);
  });
});

describe("POST /api/v1/channels/{channel_id}/messages", () => {
  it("splits a long text on paragraph boundaries into messages of at most 4096 characters", async () => {
    const { s, ch } = await talkingChannel();
    const paragraph = (n: number) => `Paragraph ${n}. ` + "Rest is where the adaptation happens. ".repeat(34).trim();
    const text = Array.from({ length: 8 }, (_, i) => paragraph(i + 1)).join("\n\n");
    expect(text.length).toBeGreaterThan(8192);
    const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: "queued", parts: 3, sender: "agent" });
    const calls = await eventually(async () => {
      const c = (await stubCalls(ch.token, "sendMessage")).filter((x) => x.body.text.startsWith("Paragraph"));
      return c.length === 3 ? c : undefined;
    }, "three parts");
    for (const c of calls) {
      expect(c.body.text.length).toBeLessThanOrEqual(4096);
      expect(c.body.text).toMatch(/^Paragraph \d+\./);
      expect(c.body.text).toMatch(/happens\.$/);
    }
    expect(calls.map((c) => c.body.text).join("\n\n")).toBe(text);
    const stored = await eventually(async () => {
      const r = await api(`/api/v1/channels/${ch.id}/messages/${body.message_id}`, { token: s.access_token });
      const m = (await r.json()) as any;
      return m.delivery_status === "sent" ? m : undefined;
    }, "sent");
    expect(stored).toMatchObject({ text, parts: 3 });
  });

  it("is idempotent by messageId", async () => {
    const { s, ch } = await talkingChannel();
    const send = () => api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text: "Once only", messageId: "client-7" } });
    const a = (await (await send()).json()) as any;
    const b = (await (await send()).json()) as any;
    expect(b.message_id).toBe(a.message_id);
    await eventually(() => settled(ch.id, 2), "sent");
    expect((await stubCalls(ch.token, "sendMessage")).filter((c) => c.body.text === "Once only")).toHaveLength(1);
  });

  it("validates its input and changes nothing", async () => {
    const { s, ch } = await talkingChannel();
    const before = (await messagesOf(ch.id)).length;
    const cases: [unknown, string][] = [
      [{ text: "no recipient" }, "to"],
      [{ to: "521930114", text: "" }, "text"],
      [{ to: "521930114" }, "text"],
      [{ to: "521930114", text: "x", type: "image" }, "type"],
      [{ end_user_id: "nope", text: "x" }, "end_user_id"],
    ];
    for (const [json, field] of cases) {
      const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect((await errorOf(res)).details.map((d) => d.field)).toContain(field);
    }
    const unknown = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "999", text: "hi" } });
    expect(unknown.status).toBe(404);
    expect((await messagesOf(ch.id)).length).toBe(before);
  });

  it("refuses web channels (no outbound sender)", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/channels", { method: "POST", token: s.access_token, json: { channel_type: "web", channel_name: "Widget" } });
    const web = (await res.json()) as any;
    const send = await api(`/api/v1/channels/${web.id}/messages`, { method: "POST", token: s.access_token, json: { to: "x", text: "hi" } });
    expect(send.status).toBe(422);
  });
});

describe("splitMessage", () => {
  it("keeps short texts whole and prefers paragraph, then sentence, then word boundaries", () => {
    expect(splitMessage("Hello")).toEqual(["Hello"]);
    const sentences = "One sentence here. ".repeat(300).trim();
    const parts = splitMessage(sentences);
    expect(parts.every((p) => p.length <= 4096 && p.endsWith("."))).toBe(true);
    const words = "word ".repeat(2000).trim();
    expect(splitMessage(words).every((p) => p.length <= 4096 && !p.startsWith(" ") && p.startsWith("word"))).toBe(true);
    const blob = "x".repeat(9000);
    expect(splitMessage(blob).map((p) => p.length)).toEqual([4096, 4096, 808]);
    const emoji = "😀".repeat(3000);
    expect(splitMessage(emoji).join("")).toBe(emoji);
  });
});
