import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { botToken, connectTelegram, eventually, postTelegram, stubCalls, telegramUpdate, type TelegramChannel } from "../channel-helpers";
import blocked from "../fixtures/telegram/bot-blocked.json";
import edited from "../fixtures/telegram/edited-message.json";
import start from "../fixtures/telegram/start-command.json";
import text from "../fixtures/telegram/text-message.json";

const sends = (ch: TelegramChannel) => stubCalls(ch.token, "sendMessage");
const sendCount = async (ch: TelegramChannel, n: number) => {
  const calls = await sends(ch);
  return calls.length >= n ? calls : undefined;
};

// Each test waits for real queue deliveries (the consumer's batch timeout is a second).
vi.setConfig({ testTimeout: 30_000 });

async function messagesOf(channelId: string) {
  const rows = await env.DB.prepare(
    "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel_id = ? ORDER BY m.seq",
  ).bind(channelId).all<{ sender: string; text: string; seq: number; delivery_status: string | null; metadata: string | null; client_message_id: string | null }>();
  return rows.results;
}

/** Settled = every outbound message left "queued" (sent or failed). */
async function settled(channelId: string, expected: number) {
  const rows = await messagesOf(channelId);
  const out = rows.filter((m) => m.sender !== "user");
  return out.length >= expected && out.every((m) => m.delivery_status !== "queued") ? rows : undefined;
}

describe("POST /api/v1/channels/telegram/webhook", () => {
  it("answers the text fixture with one AI reply, stored in the conversation with its delivery status", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const res = await postTelegram(text, ch.secret);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, queued: 1 });
    const [reply] = await eventually(() => sendCount(ch, 1), "the AI reply");
    expect(reply!.body).toMatchObject({ chat_id: "521930114", text: expect.any(String) });
    expect(reply!.body.text.length).toBeGreaterThan(0);

    const rows = await eventually(() => settled(ch.id, 1), "delivery recorded");
    expect(rows.map((m) => m.sender)).toEqual(["user", "ai"]);
    expect(rows[0]!.text).toBe(text.message.text);
    expect(rows.map((m) => m.seq)).toEqual([1, 2]);
    expect(rows[1]).toMatchObject({ delivery_status: "sent", text: reply!.body.text });

    const user = await env.DB.prepare("SELECT * FROM end_users WHERE creator_id = ? AND channel = 'telegram'").bind(s.creator.id).first<any>();
    expect(user).toMatchObject({ external_id: "521930114", display_name: "Maya Okafor", language: "en", status: "active" });
    const conv = await env.DB.prepare("SELECT * FROM conversations WHERE channel_id = ?").bind(ch.id).first<any>();
    expect(conv).toMatchObject({ channel: "telegram", end_user_id: user.id, last_seq: 2, creator_id: s.creator.id });
  });

  it("answers the same update delivered ten times exactly once", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const results = await Promise.all(Array.from({ length: 10 }, () => postTelegram(telegramUpdate(77), ch.secret)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    await eventually(() => settled(ch.id, 1), "the reply");
    // And again later, after it was answered.
    for (let i = 0; i < 3; i++) expect((await postTelegram(telegramUpdate(77), ch.secret)).status).toBe(200);
    await eventually(() => settled(ch.id, 1), "the reply");
    expect(await sends(ch)).toHaveLength(1);
    expect((await messagesOf(ch.id)).map((m) => m.sender)).toEqual(["user", "ai"]);
  });

  it("greets /start with the channel's welcome message", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s, { welcome_message: "Welcome! Ask me about training plans." });
    await postTelegram(start, ch.secret);
    const [greeting] = await eventually(() => sendCount(ch, 1), "the welcome");
    expect(greeting!.body).toEqual({ chat_id: "521930114", text: "Welcome! Ask me about training plans." });
    const rows = await eventually(() => settled(ch.id, 1), "stored");
    expect(rows.map((m) => [m.sender, m.text])).toEqual([["user", "/start"], ["system", "Welcome! Ask me about training plans."]]);
  });

  it("answers a sticker with a clear text-only notice (no AI call, no silence); photos, documents and voice are stored (channel-media.test.ts)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(telegramUpdate(918273690, { text: undefined, sticker: { file_id: "CAACAgIAAxk", emoji: "👍", width: 512, height: 512 } }), ch.secret);
    const [notice] = await eventually(() => sendCount(ch, 1), "the notice");
    expect(notice!.body.text).toMatch(/only read text/i);
    const rows = await eventually(() => settled(ch.id, 1), "stored");
    expect(rows[0]).toMatchObject({ sender: "user", text: "[sticker]" });
    expect(JSON.parse(rows[0]!.metadata!)).toMatchObject({ media_type: "sticker" });
    expect(rows[1]!.sender).toBe("system");
  });

  it("records an edited message on the original without answering", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(text, ch.secret);
    await eventually(() => settled(ch.id, 1), "the first answer");
    expect((await postTelegram(edited, ch.secret)).status).toBe(200);
    const original = await eventually(async () => {
      const [m] = await messagesOf(ch.id);
      return m?.metadata && JSON.parse(m.metadata).edited_text ? m : undefined;
    }, "the edit");
    expect(JSON.parse(original.metadata!)).toMatchObject({ edited_text: edited.edited_message.text });
    expect(original.text).toBe(text.message.text);
    expect(await sends(ch)).toHaveLength(1);
    const event = await env.DB.prepare("SELECT * FROM channel_events WHERE channel_id = ? AND kind = 'edited'").bind(ch.id).first<any>();
    expect(JSON.parse(event.detail)).toMatchObject({ text: edited.edited_message.text });
  });

  it("marks the end user unreachable when they block the bot (my_chat_member kicked), and skips sends to them", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(text, ch.secret);
    await eventually(() => settled(ch.id, 1), "first answer");
    await postTelegram(blocked, ch.secret);
    await eventually(async () => {
      const u = await env.DB.prepare("SELECT status FROM end_users WHERE creator_id = ? AND external_id = '521930114'").bind(s.creator.id).first<{ status: string }>();
      return u?.status === "unreachable";
    }, "unreachable");
    const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text: "Are you there?" } });
    expect(res.status).toBe(409);
    expect(await sends(ch)).toHaveLength(1);

    // Writing again (they unblocked the bot) makes them reachable and gets an answer.
    await postTelegram(telegramUpdate(918273700, { text: "I'm back" }), ch.secret);
    await eventually(() => sendCount(ch, 2), "answer after unblocking");
    const u = await env.DB.prepare("SELECT status FROM end_users WHERE creator_id = ? AND external_id = '521930114'").bind(s.creator.id).first<{ status: string }>();
    expect(u!.status).toBe("active");
  });

  it("treats starting the bot (my_chat_member member) as a first contact: end user, conversation, auto-enrolment once", async () => {
    const s = await createCreator();
    const flow = {
      nodes: [{ id: "start", type: "start", data: {} }, { id: "m", type: "send_message", data: { message: "Welcome to the program" } }, { id: "end", type: "end", data: {} }],
      edges: [{ id: "e1", source: "start", target: "m" }, { id: "e2", source: "m", target: "end" }],
    };
    const program = (await (await api("/api/v1/programs", { method: "POST", token: s.access_token, json: { name: "Auto", flow_definition: flow, settings: { auto_enroll: true } } })).json()) as { id: string };
    expect((await api(`/api/v1/programs/${program.id}/publish`, { method: "POST", token: s.access_token })).status).toBe(200);
    const ch = await connectTelegram(s);
    const started = structuredClone(blocked) as any;
    started.my_chat_member.old_chat_member.status = "kicked";
    started.my_chat_member.new_chat_member.status = "member";
    delete started.my_chat_member.new_chat_member.until_date;
    expect((await postTelegram(started, ch.secret)).status).toBe(200);
    const user = await eventually(
      () => env.DB.prepare("SELECT id, status, display_name FROM end_users WHERE creator_id = ? AND external_id = '521930114'").bind(s.creator.id).first<{ id: string; status: string; display_name: string }>().then((u) => u ?? undefined),
      "end user",
    );
    expect(user).toMatchObject({ status: "active", display_name: "Maya" });
    const enrolments = () => env.DB.prepare("SELECT program_id, status FROM program_enrollments WHERE end_user_id = ?").bind(user.id).all<{ program_id: string; status: string }>().then((r) => r.results);
    await eventually(async () => ((await enrolments()).length ? true : undefined), "auto-enrolment");
    const conv = await env.DB.prepare("SELECT channel, channel_id FROM conversations WHERE end_user_id = ?").bind(user.id).all<{ channel: string; channel_id: string }>();
    expect(conv.results).toEqual([{ channel: "telegram", channel_id: ch.id }]);

    // Their first message is the same contact: not a second user, not a second enrolment, and answered.
    await postTelegram(telegramUpdate(918273701, { text: "Hi!" }), ch.secret);
    await eventually(() => sendCount(ch, 1), "answer");
    expect(await enrolments()).toEqual([{ program_id: program.id, status: "active" }]);
    const users = await env.DB.prepare("SELECT count(*) AS n FROM end_users WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(users!.n).toBe(1);
  });

  it("a contact first seen blocking the bot is recorded unreachable and not enrolled", async () => {
    const s = await createCreator();
    const flow = {
      nodes: [{ id: "start", type: "start", data: {} }, { id: "end", type: "end", data: {} }],
      edges: [{ id: "e1", source: "start", target: "end" }],
    };
    const program = (await (await api("/api/v1/programs", { method: "POST", token: s.access_token, json: { name: "Auto", flow_definition: flow, settings: { auto_enroll: true } } })).json()) as { id: string };
    expect((await api(`/api/v1/programs/${program.id}/publish`, { method: "POST", token: s.access_token })).status).toBe(200);
    const ch = await connectTelegram(s);
    await postTelegram(blocked, ch.secret);
    const user = await eventually(
      () => env.DB.prepare("SELECT id, status FROM end_users WHERE creator_id = ? AND external_id = '521930114'").bind(s.creator.id).first<{ id: string; status: string }>().then((u) => (u?.status === "unreachable" ? u : undefined)),
      "unreachable user",
    );
    const n = await env.DB.prepare("SELECT count(*) AS n FROM program_enrollments WHERE end_user_id = ?").bind(user.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it("accepts the per-channel path /webhooks/telegram/{channel_id} with that channel's secret only", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const other = await connectTelegram(s);
    expect((await postTelegram(telegramUpdate(5), other.secret, `/webhooks/telegram/${ch.id}`)).status).toBe(401);
    expect((await postTelegram(telegramUpdate(5), ch.secret, `/webhooks/telegram/${crypto.randomUUID()}`)).status).toBe(401);
    expect((await postTelegram(telegramUpdate(5), ch.secret, `/webhooks/telegram/not-a-uuid`)).status).toBe(404);
    expect((await postTelegram(telegramUpdate(5), ch.secret, `/webhooks/telegram/${ch.id}`)).status).toBe(200);
    await eventually(() => sendCount(ch, 1), "reply");
    expect(await sends(other)).toHaveLength(0);
  });

  it.each([
    ["missing", undefined],
    ["wrong", "not-the-secret"],
    ["empty", ""],
  ])("rejects a %s secret header with 401 and stores nothing", async (_name, secret) => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const res = await postTelegram(text, secret);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("AUTHENTICATION_REQUIRED");
    const events = await env.DB.prepare("SELECT count(*) AS n FROM channel_events WHERE channel_id = ?").bind(ch.id).first<{ n: number }>();
    expect(events!.n).toBe(0);
    expect(await messagesOf(ch.id)).toEqual([]);
  });

  it("rejects unparseable JSON (400) and a body that is not an Update (422)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const headers = { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": ch.secret };
    const bad = await api("/api/v1/channels/telegram/webhook", { method: "POST", headers, body: "{not json" });
    expect(bad.status).toBe(400);
    const wrong = await api("/api/v1/channels/telegram/webhook", { method: "POST", headers, body: JSON.stringify({ hello: "world" }) });
    expect(wrong.status).toBe(422);
    expect((await errorOf(wrong)).details.map((d) => d.field)).toContain("update_id");
  });

  it("stops accepting the old secret at once when the bot is changed or disconnected", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    expect((await postTelegram(telegramUpdate(20), ch.secret)).status).toBe(200);
    const next = botToken();
    await api(`/api/v1/channels/${ch.id}`, { method: "PUT", token: s.access_token, json: { configuration: { bot_token: next } } });
    const [hook] = await stubCalls(next, "setWebhook");
    expect((await postTelegram(telegramUpdate(21), ch.secret)).status).toBe(401);
    expect((await postTelegram(telegramUpdate(22), ch.secret, `/webhooks/telegram/${ch.id}`)).status).toBe(401);
    expect((await postTelegram(telegramUpdate(23), hook!.body.secret_token, `/webhooks/telegram/${ch.id}`)).status).toBe(200);
    await api(`/api/v1/channels/${ch.id}`, { method: "DELETE", token: s.access_token });
    expect((await postTelegram(telegramUpdate(24), hook!.body.secret_token, `/webhooks/telegram/${ch.id}`)).status).toBe(401);
    expect((await postTelegram(telegramUpdate(25), hook!.body.secret_token)).status).toBe(401);
  });

  it("does not count webhooks against the creator's API quota", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const res = await postTelegram(telegramUpdate(9), ch.secret);
    expect(res.headers.get("X-RateLimit-Limit")).toBeNull();
  });

  it("keeps the AI quiet while a human has the conversation (waiting_human)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(telegramUpdate(10), ch.secret);
    await eventually(() => settled(ch.id, 1), "first answer");
    // Asking for a person hands the conversation over (the object's decision, as in the widget).
    await postTelegram(telegramUpdate(11, { text: "Can I talk to a human please?" }), ch.secret);
    await eventually(() => settled(ch.id, 2), "handover notice sent");
    await postTelegram(telegramUpdate(12, { text: "Hello? Anyone there?" }), ch.secret);
    await eventually(async () => ((await messagesOf(ch.id)).length === 5 ? true : undefined), "third user message stored");
    const conv = await env.DB.prepare("SELECT status FROM conversations WHERE channel_id = ?").bind(ch.id).first<{ status: string }>();
    expect(conv!.status).toBe("waiting_human");
    // The agent answers through the channel instead.
    const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text: "Hi, I'm Sam, a coach. Happy to help!" } });
    expect(res.status).toBe(202);
    const calls = await eventually(() => sendCount(ch, 3), "agent reply");
    expect(calls.map((c) => c.body.text)).toContain("Hi, I'm Sam, a coach. Happy to help!");
    expect(calls.map((c) => c.body.text)).toContain("Connecting you with a human agent…");
    const rows = await eventually(() => settled(ch.id, 3), "agent reply stored");
    expect(rows.map((m) => m.sender)).toEqual(["user", "ai", "user", "system", "user", "agent"]);
  });
});
