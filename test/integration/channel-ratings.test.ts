// Rating buttons on channels: a Telegram inline keyboard press (callback_query `rate:<n>`) and a
// WhatsApp reply button (`rate:<n>`) record the conversation's rating (CSAT) once; other button data is ignored.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { connectTelegram, connectWhatsApp, eventually, postTelegram, postWhatsApp, sign, telegramUpdate, waText, whatsappNotification } from "../channel-helpers";
import { createCreator } from "../helpers";

const ratingOf = (creatorId: string) =>
  env.DB.prepare("SELECT r.score, r.source, r.channel FROM conversation_ratings r WHERE r.creator_id = ?").bind(creatorId).all<{ score: number; source: string; channel: string }>();
const conversationOf = (creatorId: string) => env.DB.prepare("SELECT id FROM conversations WHERE creator_id = ?").bind(creatorId).first<{ id: string }>();

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

describe("rating buttons on channels", () => {
  it("a Telegram inline keyboard press records the rating once; other callback data is ignored", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const bot = await connectTelegram(owner);
    const chatId = 700_000_000 + Math.floor(Math.random() * 1_000_000);
    expect((await postTelegram(telegramUpdate(1, { text: "Thanks for the help" }, chatId), bot.secret)).status).toBe(200);
    await eventually(() => conversationOf(owner.creator.id), "conversation");
    expect((await postTelegram(callback(2, chatId, "menu:open"), bot.secret)).status).toBe(200);
    expect((await postTelegram(callback(3, chatId, "rate:4"), bot.secret)).status).toBe(200);
    await eventually(async () => (await ratingOf(owner.creator.id)).results.length > 0, "rating");
    // A second press (another score) does not change it.
    expect((await postTelegram(callback(4, chatId, "rate:1"), bot.secret)).status).toBe(200);
    await eventually(async () => {
      const r = await env.DB.prepare("SELECT count(*) AS n FROM channel_events WHERE channel_id = ? AND event_key = 'update:4' AND processed_at IS NOT NULL").bind(bot.id).first<{ n: number }>();
      return r!.n === 1;
    }, "second press processed");
    expect((await ratingOf(owner.creator.id)).results).toEqual([{ score: 4, source: "visitor", channel: "telegram" }]);
    // A forged delivery (wrong secret) is refused.
    expect((await postTelegram(callback(5, chatId, "rate:5"), "wrong")).status).toBe(401);
  });

  it("a WhatsApp reply button `rate:<n>` records the rating", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const ch = await connectWhatsApp(owner);
    const post = async (body: unknown) => {
      const raw = JSON.stringify(body);
      return postWhatsApp(raw, await sign(ch.appSecret, raw));
    };
    expect((await post(whatsappNotification(waText, ch.phoneNumberId, (v) => (v.messages[0].id = `wamid.${crypto.randomUUID()}`)))).status).toBe(200);
    await eventually(() => conversationOf(owner.creator.id), "conversation");
    const press = whatsappNotification(waText, ch.phoneNumberId, (v) => {
      v.messages[0] = { from: v.messages[0].from, id: `wamid.${crypto.randomUUID()}`, timestamp: v.messages[0].timestamp, type: "interactive", interactive: { type: "button_reply", button_reply: { id: "rate:2", title: "Bad" } } };
    });
    expect((await post(press)).status).toBe(200);
    await eventually(async () => (await ratingOf(owner.creator.id)).results.length > 0, "rating");
    expect((await ratingOf(owner.creator.id)).results).toEqual([{ score: 2, source: "visitor", channel: "whatsapp" }]);
  });
});
