// End-user erasure leaves nothing: after DELETE /api/v1/users/{id}, no row of any creator-owned table
// still names the end user — their id, their conversation's id, their platform id or their words —
// including the tables that hold them inside JSON or by platform id (channel events, ratings,
// activity events, webhook deliveries, notifications). Checked by reading every owned table whole,
// not through the registry's own conditions, so a table the registry forgets fails this test.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ownedTables } from "../../src/db/ownership";
import { connectTelegram, eventually, postTelegram, telegramUpdate } from "../channel-helpers";
import { api, createCreator } from "../helpers";
import "../../src/db/owned-tables";

type Json = Record<string, any>;
const RECEIVER = env.WEBHOOK_RECEIVER_URL;

async function everythingOf(creatorId: string): Promise<string> {
  const out: string[] = [];
  for (const t of ownedTables()) {
    const rows = await env.DB.prepare(`SELECT * FROM ${t.table} WHERE ${t.column} = ?`).bind(creatorId).all();
    out.push(`${t.table}: ${JSON.stringify(rows.results)}`);
  }
  return out.join("\n");
}

function callback(updateId: number, chatId: number, data: string) {
  return {
    update_id: updateId,
    callback_query: {
      id: `cb-${updateId}`,
      from: { id: chatId, is_bot: false, first_name: "Ana" },
      message: { message_id: 99, chat: { id: chatId, type: "private", first_name: "Ana" }, date: Math.floor(Date.now() / 1000), text: "How did we do?" },
      chat_instance: "123",
      data,
    },
  };
}

/** A Telegram contact who wrote, edited a message, rated the conversation low, with a webhook endpoint listening. */
async function contact(bot: { secret: string }, creatorId: string, base: number, words: string) {
  const chatId = 800_000_000 + Math.floor(Math.random() * 100_000_000);
  expect((await postTelegram(telegramUpdate(base + 1, { text: words }, chatId), bot.secret)).status).toBe(200);
  const edit = telegramUpdate(base + 2, { text: `${words} (edited)`, edit_date: Math.floor(Date.now() / 1000) }, chatId);
  expect((await postTelegram({ update_id: edit.update_id, edited_message: { ...edit.message, message_id: base + 1 } }, bot.secret)).status).toBe(200);
  expect((await postTelegram(callback(base + 3, chatId, "rate:1"), bot.secret)).status).toBe(200);
  const user = await eventually(
    async () => (await env.DB.prepare("SELECT id FROM end_users WHERE creator_id = ? AND external_id = ?").bind(creatorId, String(chatId)).first<{ id: string }>()) ?? undefined,
    "end user",
  );
  const conv = await eventually(
    async () => (await env.DB.prepare("SELECT id FROM conversations WHERE end_user_id = ?").bind(user.id).first<{ id: string }>()) ?? undefined,
    "conversation",
  );
  await eventually(async () => (await env.DB.prepare("SELECT count(*) AS n FROM conversation_ratings WHERE conversation_id = ?").bind(conv.id).first<{ n: number }>())!.n === 1, "rating");
  await eventually(
    async () => (await env.DB.prepare("SELECT count(*) AS n FROM channel_events WHERE creator_id = ? AND event_key = ? AND processed_at IS NOT NULL").bind(creatorId, `update:${base + 2}`).first<{ n: number }>())!.n === 1,
    "edit processed",
  );
  return { chatId: String(chatId), userId: user.id, conversationId: conv.id, words };
}

describe("end-user erasure audit", () => {
  it("no owned table names the erased end user afterwards; the other contact keeps everything; the export listed it all", { timeout: 90_000 }, async () => {
    const owner = await createCreator();
    const token = owner.access_token;
    const hook = await api("/api/v1/webhooks", { method: "POST", token, json: { url: `${RECEIVER}/k-${crypto.randomUUID()}`, events: ["message.received", "user.created", "rating.received"] } });
    expect(hook.status).toBe(201);
    const bot = await connectTelegram(owner);
    const ada = await contact(bot, owner.creator.id, 100, `Ada-${crypto.randomUUID().slice(0, 8)} here, my knee hurts`);
    const bob = await contact(bot, owner.creator.id, 200, `Bob-${crypto.randomUUID().slice(0, 8)} here, my back hurts`);
    // The activity stream and the webhook deliveries of both have been written.
    await eventually(
      async () =>
        (await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE creator_id = ? AND payload LIKE ?").bind(owner.creator.id, `%${ada.conversationId}%`).first<{ n: number }>())!.n > 0,
      "webhook deliveries",
    );
    const before = await everythingOf(owner.creator.id);
    for (const mark of [ada.userId, ada.conversationId, ada.chatId]) expect(before).toContain(mark);

    const exported = (await (await api(`/api/v1/users/${ada.userId}/export`, { token })).json()) as { data: Record<string, Json[]> };
    for (const table of ["channel_events", "conversation_ratings", "conversation_analytics", "activity_events", "webhook_deliveries", "notifications"]) {
      expect(exported.data[table]?.length ?? 0, `${table} in the export`).toBeGreaterThan(0);
    }
    expect(JSON.stringify(exported.data)).not.toContain(bob.conversationId);

    expect((await api(`/api/v1/users/${ada.userId}`, { method: "DELETE", token })).status).toBe(200);
    const after = await everythingOf(owner.creator.id);
    const leftovers = after.split("\n").filter((line) => [ada.userId, ada.conversationId, ada.chatId, ada.words.slice(0, 12)].some((m) => line.includes(m)));
    expect(leftovers.map((l) => l.slice(0, l.indexOf(":")))).toEqual([]);
    // Bob's rows are all still there.
    for (const mark of [bob.userId, bob.conversationId, bob.chatId]) expect(after).toContain(mark);
    for (const table of ["channel_events", "conversation_ratings", "activity_events", "webhook_deliveries", "notifications"]) {
      const line = after.split("\n").find((l) => l.startsWith(`${table}:`))!;
      expect(line, table).toContain(table === "channel_events" ? bob.chatId : bob.conversationId);
    }
  });
});
