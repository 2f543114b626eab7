// Webhook bodies are bounded before they are verified; the shared WhatsApp route does one lookup per
// notification, not one per id an unverified body names; channel end users are limited like widget users.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { api, createCreator, errorOf } from "../helpers";
import { connectTelegram, eventually, postTelegram, telegramUpdate, waText, whatsappNotification } from "../channel-helpers";
import { config } from "../../src/config";

describe("webhook bodies", () => {
  it("are refused past WEBHOOK_MAX_BODY_BYTES before any secret is checked, with or without Content-Length", async () => {
    const big = JSON.stringify({ update_id: 1, padding: "x".repeat(300 * 1024) });
    const res = await api("/api/v1/channels/telegram/webhook", { method: "POST", headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "guess" }, body: big });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    // A chunked body (no Content-Length) is cut off at the cap too.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 64) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const chunked = await api("/webhooks/whatsapp/00000000-0000-4000-8000-000000000000", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00" },
      body: stream,
      // @ts-expect-error workerd's fetch takes duplex for streamed bodies
      duplex: "half",
    });
    expect(chunked.status).toBe(413);
    // The stream was not read to its end (4 MB offered, reading stopped past 256 KiB).
    expect(sent).toBeLessThan(64);
  });

  it("the shared WhatsApp route runs no query per phone-number id of an unverified body", async () => {
    const notification = whatsappNotification(waText, "1000");
    const entry = (notification as any).entry[0];
    (notification as any).entry = Array.from({ length: 300 }, (_, i) => ({ ...structuredClone(entry), changes: entry.changes.map((c: any) => ({ ...c, value: { ...c.value, metadata: { ...c.value.metadata, phone_number_id: `9${i}` } } })) }));
    let queries = 0;
    const countingDb = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") return (sql: string) => (queries++, target.prepare(sql));
        if (prop === "batch") return (s: D1PreparedStatement[]) => (queries++, target.batch(s));
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request("http://localhost/api/v1/channels/whatsapp/webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00", "CF-Connecting-IP": "198.51.100.250" },
        body: JSON.stringify(notification),
      }),
      { ...env, DB: countingDb as D1Database },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(401);
    expect(queries).toBeLessThanOrEqual(1);
  });
});

describe("Telegram end users", () => {
  it("are limited like widget users: past the per-minute chat limit their messages are stored but not answered", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const chatId = 700_000_000 + Math.floor(Math.random() * 1_000_000);
    expect((await postTelegram(telegramUpdate(1, { text: "first question" }, chatId), ch.secret)).status).toBe(200);
    const user = await eventually(
      async () => (await env.DB.prepare("SELECT id FROM end_users WHERE creator_id = ? AND channel = 'telegram'").bind(s.creator.id).first<{ id: string }>()) ?? undefined,
      "end user",
    );
    const aiCount = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.end_user_id = ? AND m.sender = 'ai'").bind(user.id).first<{ n: number }>())!.n;
    await eventually(async () => (await aiCount()) === 1, "first answer");
    // The user has used up the minute's budget (counted in the same object a widget user's messages are).
    const rule = config(env).rateLimits.perClient.chat;
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`enduser:${user.id}`));
    for (let i = 0; i < rule.limit; i++) await limiter.hit([{ key: "enduser:chat", ...rule }]);
    expect((await postTelegram(telegramUpdate(2, { text: "one more question" }, chatId), ch.secret)).status).toBe(200);
    await eventually(
      async () => (await env.DB.prepare("SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.end_user_id = ? AND m.sender = 'user'").bind(user.id).first<{ n: number }>())!.n === 2,
      "second message stored",
    );
    const processed = await eventually(
      async () => (await env.DB.prepare("SELECT count(*) AS n FROM channel_events WHERE channel_id = ? AND processed_at IS NOT NULL").bind(ch.id).first<{ n: number }>())!.n >= 2,
      "second event processed",
    );
    expect(processed).toBe(true);
    expect(await aiCount()).toBe(1);
  }, 60_000);
});
