// Rating buttons on channels: a Telegram inline keyboard press (callback_query `rate:<n>`) and a
// WhatsApp reply button (`rate:<n>`) record the conversation's rating (CSAT) once; other button data is ignored;
// resolving a channel conversation sends the prompt (inline keyboard / list message), a press is answered and thanked.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { connectTelegram, connectWhatsApp, eventually, postTelegram, postWhatsApp, sign, stubCalls, telegramUpdate, waText, whatsappNotification } from "../channel-helpers";
import { api, createCreator } from "../helpers";
import { RATING_ALREADY_TEXT, RATING_PROMPT_TEXT, RATING_THANKS_TEXT, sendRatingPrompt } from "../../src/modules/channels/rating-prompt";
import { conversationStub } from "../../src/realtime";
import { chatSetup } from "../realtime";

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
    // The channel's analytics report it as its CSAT (null before anyone rated: channels-analytics.test.ts).
    const stats = await api(`/api/v1/channels/${bot.id}/analytics`, { token: owner.access_token });
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { metrics: Record<string, unknown> }).metrics.user_satisfaction_score).toBe(4);
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

describe("the rating prompt when a channel conversation is resolved", () => {
  const resolve = async (token: string, conversationId: string) => {
    const res = await api(`/api/v1/conversations/${conversationId}/complete`, { method: "POST", token });
    expect(res.status).toBe(200);
    await conversationStub(env, conversationId).flushOutbox();
  };

  it("Telegram: an inline keyboard rate:1…rate:5; a press is answered (answerCallbackQuery), recorded and thanked once", { timeout: 45_000 }, async () => {
    const owner = await createCreator();
    const bot = await connectTelegram(owner);
    const chatId = 710_000_000 + Math.floor(Math.random() * 1_000_000);
    expect((await postTelegram(telegramUpdate(1, { text: "How do I book a session?" }, chatId), bot.secret)).status).toBe(200);
    const conv = (await eventually(() => conversationOf(owner.creator.id), "conversation"))!;
    // The AI's answer goes out first; then the conversation is resolved.
    await eventually(async () => (await stubCalls(bot.token, "sendMessage")).length >= 1, "the answer");
    await resolve(owner.access_token, conv.id);

    const prompt = await eventually(async () => (await stubCalls(bot.token, "sendMessage")).find((c) => c.body.reply_markup), "the rating prompt");
    expect(prompt.body.chat_id).toBe(String(chatId));
    expect(prompt.body.text).toBe(RATING_PROMPT_TEXT);
    expect(prompt.body.reply_markup.inline_keyboard.flat().map((b: { callback_data: string }) => b.callback_data)).toEqual(["rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]);
    // The prompt is in the conversation's history, marked as such.
    const stored = await env.DB.prepare("SELECT sender, delivery_status FROM messages WHERE conversation_id = ? AND text = ?").bind(conv.id, RATING_PROMPT_TEXT).all();
    expect(stored.results).toEqual([{ sender: "system", delivery_status: "sent" }]);

    expect((await postTelegram(callback(2, chatId, "rate:5"), bot.secret)).status).toBe(200);
    const answered = await eventually(async () => (await stubCalls(bot.token, "answerCallbackQuery")).at(0), "answerCallbackQuery");
    expect(answered.body).toEqual({ callback_query_id: "cb-2", text: RATING_THANKS_TEXT });
    await eventually(async () => (await stubCalls(bot.token, "sendMessage")).find((c) => c.body.text === RATING_THANKS_TEXT), "the thank-you message");
    expect((await ratingOf(owner.creator.id)).results).toEqual([{ score: 5, source: "visitor", channel: "telegram" }]);

    // A second press is answered (Telegram's spinner stops) but changes nothing and thanks nobody twice.
    expect((await postTelegram(callback(3, chatId, "rate:1"), bot.secret)).status).toBe(200);
    const second = await eventually(async () => (await stubCalls(bot.token, "answerCallbackQuery")).find((c) => c.body.callback_query_id === "cb-3"), "second answer");
    expect(second.body.text).toBe(RATING_ALREADY_TEXT);
    expect((await ratingOf(owner.creator.id)).results).toEqual([{ score: 5, source: "visitor", channel: "telegram" }]);
    expect((await stubCalls(bot.token, "sendMessage")).filter((c) => c.body.text === RATING_THANKS_TEXT)).toHaveLength(1);
    expect((await stubCalls(bot.token, "sendMessage")).filter((c) => c.body.reply_markup)).toHaveLength(1);
  });

  it("WhatsApp: a list message with five rows rate:5…rate:1; the chosen row is recorded and thanked", { timeout: 45_000 }, async () => {
    const owner = await createCreator();
    const ch = await connectWhatsApp(owner);
    const post = async (body: unknown) => {
      const raw = JSON.stringify(body);
      return postWhatsApp(raw, await sign(ch.appSecret, raw));
    };
    expect((await post(whatsappNotification(waText, ch.phoneNumberId, (v) => (v.messages[0].id = `wamid.${crypto.randomUUID()}`)))).status).toBe(200);
    const conv = (await eventually(() => conversationOf(owner.creator.id), "conversation"))!;
    await eventually(async () => (await stubCalls(ch.phoneNumberId, "messages")).length >= 1, "the answer");
    await resolve(owner.access_token, conv.id);

    const prompt = await eventually(async () => (await stubCalls(ch.phoneNumberId, "messages")).find((c) => c.body.type === "interactive"), "the rating prompt");
    expect(prompt.body.interactive.type).toBe("list");
    expect(prompt.body.interactive.body.text).toBe(RATING_PROMPT_TEXT);
    const rows = prompt.body.interactive.action.sections[0].rows;
    expect(rows.map((r: { id: string }) => r.id)).toEqual(["rate:5", "rate:4", "rate:3", "rate:2", "rate:1"]);
    expect(rows.every((r: { title: string }) => r.title.length <= 24)).toBe(true);

    const press = whatsappNotification(waText, ch.phoneNumberId, (v) => {
      v.messages[0] = { from: v.messages[0].from, id: `wamid.${crypto.randomUUID()}`, timestamp: v.messages[0].timestamp, type: "interactive", interactive: { type: "list_reply", list_reply: { id: "rate:3", title: "3 – Okay" } } };
    });
    expect((await post(press)).status).toBe(200);
    await eventually(async () => (await ratingOf(owner.creator.id)).results.length > 0, "rating");
    expect((await ratingOf(owner.creator.id)).results).toEqual([{ score: 3, source: "visitor", channel: "whatsapp" }]);
    await eventually(async () => (await stubCalls(ch.phoneNumberId, "messages")).find((c) => c.body.text?.body === RATING_THANKS_TEXT), "the thank-you message");
  });

  it("an already rated conversation is not asked again, and a widget conversation never gets a channel prompt", { timeout: 45_000 }, async () => {
    const owner = await createCreator();
    const bot = await connectTelegram(owner);
    const chatId = 720_000_000 + Math.floor(Math.random() * 1_000_000);
    expect((await postTelegram(telegramUpdate(1, { text: "Thanks!" }, chatId), bot.secret)).status).toBe(200);
    const conv = (await eventually(() => conversationOf(owner.creator.id), "conversation"))!;
    await eventually(async () => (await stubCalls(bot.token, "sendMessage")).length >= 1, "the answer");
    const rated = await api(`/api/v1/conversations/${conv.id}/rating`, { method: "POST", token: owner.access_token, json: { score: 4 } });
    expect(rated.status).toBe(201);
    await resolve(owner.access_token, conv.id);
    // The resolution was dispatched (the webhook/inbox event is marked done) and no prompt followed.
    await eventually(async () => {
      const r = await env.DB.prepare("SELECT dispatched FROM activity_events WHERE creator_id = ? AND type = 'conversation.resolved'").bind(owner.creator.id).first<{ dispatched: number }>();
      return r?.dispatched === 1;
    }, "resolution dispatched");
    const job = { creatorId: owner.creator.id, conversationId: conv.id, eventId: "again" };
    await sendRatingPrompt(env, job);
    const prompts = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND text = ?").bind(conv.id, RATING_PROMPT_TEXT).first<{ n: number }>();
    expect(prompts!.n).toBe(0);

    const widget = await chatSetup();
    await widget.tab.say("q1", "Hello");
    await widget.tab.aiReply();
    widget.tab.close();
    await sendRatingPrompt(env, { creatorId: widget.creator.creator.id, conversationId: widget.session.conversation_id, eventId: "w" });
    const none = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND text = ?").bind(widget.session.conversation_id, RATING_PROMPT_TEXT).first<{ n: number }>();
    expect(none!.n).toBe(0);
  });
});
