// The merged modules wired through the Conversation object: Telegram/WhatsApp messages, agents over
// the agent socket, program and proactive messages all go through the one object that numbers the
// conversation (no second writer of seqs), and every outgoing message on a channel is sent once.
import { env, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sendToEndUser } from "../../src/modules/channels/outbound";
import { deliverToEndUser } from "../../src/modules/programs/delivery";
import { conversationStub } from "../../src/realtime";
import { api, createCreator, type Session } from "../helpers";
import { connectTelegram, connectWhatsApp, eventually, postTelegram, postWhatsApp, sign, stubCalls, telegramUpdate, whatsappNotification, type TelegramChannel } from "../channel-helpers";
import { connect, createAgent, openSession, widgetKeyOf } from "../realtime";
import { Engine, setClock } from "../support/engine";
import { edge, node } from "../support/flows";
import waText from "../fixtures/whatsapp/text-message.json";

// Real queue deliveries and per-chat pacing (1 message/s on Telegram).
vi.setConfig({ testTimeout: 60_000 });
afterEach(() => setClock(null));

type Row = { seq: number; sender: string; text: string; delivery_status: string | null; client_message_id: string | null };

async function d1Messages(conversationId: string): Promise<Row[]> {
  const r = await env.DB.prepare("SELECT seq, sender, text, delivery_status, client_message_id FROM messages WHERE conversation_id = ? ORDER BY seq")
    .bind(conversationId)
    .all<Row>();
  return r.results;
}

/** Unique and gapless: 1..n, the object's numbering mirrored as is. */
function expectGapless(rows: Row[]) {
  expect(rows.map((m) => m.seq)).toEqual(rows.map((_, i) => i + 1));
}

const telegramTexts = async (ch: TelegramChannel) => (await stubCalls(ch.token, "sendMessage")).map((c) => c.body.text as string);

async function telegramConversation(s: Session, ch: TelegramChannel) {
  await postTelegram(telegramUpdate(1, { text: "How should I warm up?" }), ch.secret);
  const conv = await eventually(() => env.DB.prepare("SELECT id FROM conversations WHERE channel_id = ?").bind(ch.id).first<{ id: string }>().then((r) => r ?? undefined), "conversation");
  await eventually(async () => ((await telegramTexts(ch)).length === 1 ? true : undefined), "the first AI reply sent");
  return conv.id;
}

describe("Telegram through the Conversation object", () => {
  it("shows updates live to an agent, sends the agent's words and every notice through the bot once, and the AI again after release", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const cid = await telegramConversation(s, ch);

    // An agent joins over the agent socket: the join notice goes out through Telegram.
    const agent = await createAgent(s.access_token, "Sam Coach");
    const desk = await connect(`/api/v1/conversations/${cid}/connect`, agent.access_token);
    await desk.next("agent_joined");
    await postTelegram(telegramUpdate(2, { text: "Thanks, and how long should I rest?" }), ch.secret);
    // The Telegram update lands in the object: the agent sees it live.
    expect(await desk.next((f) => f.type === "message" && f.sender === "user")).toMatchObject({ text: "Thanks, and how long should I rest?" });
    await desk.say("agent-1", "Two rest days a week is a good start.");
    desk.send({ type: "release" });
    await desk.next("agent_left");
    await postTelegram(telegramUpdate(3, { text: "And what should I eat before a run?" }), ch.secret);
    await desk.next((f) => f.type === "message" && f.sender === "ai" && f.seq > 5);

    const texts = await eventually(async () => {
      const t = await telegramTexts(ch);
      return t.length >= 5 ? t : undefined;
    }, "five sends");
    expect(texts).toHaveLength(5);
    expect(texts).toContain("Sam Coach joined the conversation");
    expect(texts).toContain("Two rest days a week is a good start.");
    expect(texts).toContain("You are back with the assistant.");

    await conversationStub(env, cid).flushOutbox();
    const rows = await eventually(async () => {
      const r = await d1Messages(cid);
      return r.filter((m) => m.sender !== "user").every((m) => m.delivery_status === "sent") ? r : undefined;
    }, "every send recorded");
    expect(rows.map((m) => m.sender)).toEqual(["user", "ai", "system", "user", "agent", "system", "user", "ai"]);
    expectGapless(rows);
    // Exactly one send per outgoing message: no message was sent twice.
    expect(await telegramTexts(ch)).toHaveLength(5);
    desk.close();
  });

  it("numbers a mixed sequence (inbound, program, creator API, proactive) without a gap or a collision", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const cid = await telegramConversation(s, ch);
    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(cid).first<{ end_user_id: string }>();
    const endUserId = conv!.end_user_id;
    const [program, proactive, again] = await Promise.all([
      deliverToEndUser(env, { creatorId: s.creator.id, endUserId, text: "Day 2: an easy 20 minutes.", sender: "ai", kind: "program", idempotencyKey: "step:mix:1" }),
      deliverToEndUser(env, { creatorId: s.creator.id, endUserId, text: "How did your run go?", sender: "ai", kind: "proactive", idempotencyKey: "rule:mix:1" }),
      deliverToEndUser(env, { creatorId: s.creator.id, endUserId, text: "Day 2: an easy 20 minutes.", sender: "ai", kind: "program", idempotencyKey: "step:mix:1" }),
    ]);
    expect(program.conversationId).toBe(cid);
    expect(proactive.conversationId).toBe(cid);
    expect(again.messageId).toBe(program.messageId);
    const [apiSend] = await Promise.all([
      api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text: "A note from your coach." } }),
      postTelegram(telegramUpdate(2, { text: "Great, thanks!" }), ch.secret),
    ]);
    expect(apiSend.status).toBe(202);
    const rows = await eventually(async () => {
      await conversationStub(env, cid).flushOutbox();
      const r = await d1Messages(cid);
      return r.length === 7 && r.filter((m) => m.sender !== "user").every((m) => m.delivery_status === "sent") ? r : undefined;
    }, "seven messages, all sent");
    expectGapless(rows);
    expect(rows.filter((m) => m.client_message_id === "step:mix:1")).toHaveLength(1);
    expect((await conversationStub(env, cid).summary(cid, s.creator.id)).lastSeq).toBe(7);
    // One send per outgoing message: the first reply, program, proactive, API note, the second reply.
    expect(await telegramTexts(ch)).toHaveLength(5);
  });

  it("refuses another creator's ingest and post, and changes nothing", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const ch = await connectTelegram(s);
    const cid = await telegramConversation(s, ch);
    const stub = conversationStub(env, cid);
    // Settled inside a try (an RPC promise handed to expect().rejects is reported as unhandled).
    const failure = async (call: () => Promise<unknown>) => {
      try {
        await call();
        return null;
      } catch (err) {
        return String(err);
      }
    };
    expect(await failure(() => stub.post(cid, other.creator.id, { sender: "system", text: "Not yours", clientId: "x-1" }))).toMatch(/not found/i);
    expect(await failure(() => stub.ingest(cid, other.creator.id, { text: "Not yours", clientId: "in:x", endUserId: crypto.randomUUID() }))).toMatch(/not found/i);
    await stub.flushOutbox();
    expect((await d1Messages(cid)).map((m) => m.sender)).toEqual(["user", "ai"]);
    expect((await stub.summary(cid, s.creator.id)).lastSeq).toBe(2);
  });
});

describe("owed channel sends", () => {
  it("survive a D1 outage and an eviction: the send is queued once D1 has the message, and goes out once", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const cid = await telegramConversation(s, ch);
    await eventually(async () => ((await d1Messages(cid)).at(-1)?.delivery_status === "sent" ? true : undefined), "first reply settled");
    const stub = conversationStub(env, cid);
    await env.DB.exec("ALTER TABLE messages RENAME TO messages_away");
    let stored;
    try {
      // Stored in the object (its send owed in the same write); the mirror, hence the enqueue, fails.
      stored = await sendToEndUser(env, { creatorId: s.creator.id, conversationId: cid, text: "Your plan for tomorrow.", sender: "system", clientMessageId: "owed-1" });
    } finally {
      await env.DB.exec("ALTER TABLE messages_away RENAME TO messages");
    }
    expect(stored.stored).toBe(true);
    expect(await d1Messages(cid)).toHaveLength(2);
    await evictDurableObject(stub);
    // The retry alarm left by the failed flush mirrors the message, then queues its send.
    expect(await runDurableObjectAlarm(conversationStub(env, cid))).toBe(true);
    const texts = await eventually(async () => {
      const t = await telegramTexts(ch);
      return t.includes("Your plan for tomorrow.") ? t : undefined;
    }, "the owed send");
    const rows = await eventually(async () => ((await d1Messages(cid)).at(-1)?.delivery_status === "sent" ? d1Messages(cid) : undefined), "sent recorded");
    expect(rows.map((m) => [m.seq, m.sender])).toEqual([[1, "user"], [2, "ai"], [3, "system"]]);
    // A retried store with the same key, and more flushes, send nothing more.
    expect((await sendToEndUser(env, { creatorId: s.creator.id, conversationId: cid, text: "Your plan for tomorrow.", sender: "system", clientMessageId: "owed-1" })).stored).toBe(false);
    await conversationStub(env, cid).flushOutbox();
    expect(texts.filter((t) => t === "Your plan for tomorrow.")).toHaveLength(1);
    expect((await telegramTexts(ch)).filter((t) => t === "Your plan for tomorrow.")).toHaveLength(1);
  });
});

describe("WhatsApp through the Conversation object", () => {
  it("stores the message in the object and sends the AI reply through the Graph API once", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const raw = JSON.stringify(whatsappNotification(waText, ch.phoneNumberId));
    expect((await postWhatsApp(raw, await sign(ch.appSecret, raw))).status).toBe(200);
    const sent = await eventually(async () => {
      const c = await stubCalls(ch.phoneNumberId, "messages");
      return c.length ? c : undefined;
    }, "the AI reply");
    const conv = await env.DB.prepare("SELECT id FROM conversations WHERE channel_id = ?").bind(ch.id).first<{ id: string }>();
    const summary = await conversationStub(env, conv!.id).summary(conv!.id, s.creator.id);
    expect(summary.lastSeq).toBe(2);
    const rows = await eventually(async () => {
      const r = await d1Messages(conv!.id);
      return r.at(-1)?.delivery_status === "sent" ? r : undefined;
    }, "delivery recorded");
    expect(rows.map((m) => [m.seq, m.sender])).toEqual([[1, "user"], [2, "ai"]]);
    expect(sent[0]!.body.text.body).toBe(rows[1]!.text);
    // The same notification again: stored once, answered once.
    expect((await postWhatsApp(raw, await sign(ch.appSecret, raw))).status).toBe(200);
    await eventually(async () => {
      const ev = await env.DB.prepare("SELECT count(*) AS n FROM channel_events WHERE channel_id = ? AND processed_at IS NOT NULL").bind(ch.id).first<{ n: number }>();
      return ev!.n >= 1 ? true : undefined;
    }, "processed");
    expect(await stubCalls(ch.phoneNumberId, "messages")).toHaveLength(1);
    expect((await conversationStub(env, conv!.id).summary(conv!.id, s.creator.id)).lastSeq).toBe(2);

    // Handover on WhatsApp: the agent's message goes out through the Graph API too.
    const agent = await createAgent(s.access_token, "Ana Coach");
    const desk = await connect(`/api/v1/conversations/${conv!.id}/connect`, agent.access_token);
    await desk.next("agent_joined");
    await desk.say("wa-agent-1", "Hi Daniel, Ana here.");
    const bodies = await eventually(async () => {
      const c = (await stubCalls(ch.phoneNumberId, "messages")).map((x) => x.body.text.body as string);
      return c.length >= 3 ? c : undefined;
    }, "join notice and agent message sent");
    expect(bodies.slice(1).sort()).toEqual(["Ana Coach joined the conversation", "Hi Daniel, Ana here."]);
    desk.close();
  });
});

describe("programs in the widget", () => {
  it("auto-enrols a new visitor, asks on the widget socket, takes the answer without an AI reply, then chats as usual", async () => {
    const owner = await createCreator();
    const flow = {
      nodes: [node("start", "start"), node("ask", "question", { question: "What is your goal?", key: "goal", timeout_hours: 24 }), node("done", "end"), node("late", "end")],
      edges: [edge("start", "ask"), edge("ask", "done", "answer"), edge("ask", "late", "timeout")],
    };
    const created = (await (await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "Goal", flow_definition: flow, settings: { auto_enroll: true } } })).json()) as { id: string };
    expect((await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token })).status).toBe(200);

    const session = await openSession(await widgetKeyOf(owner.access_token));
    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>();
    const endUserId = conv!.end_user_id;
    const enrolment = () => env.DB.prepare("SELECT status, awaiting FROM program_enrollments WHERE end_user_id = ?").bind(endUserId).first<{ status: string; awaiting: string | null }>();
    expect(await enrolment()).toMatchObject({ status: "active" });
    const tab = await connect(session.websocket_url, session.token);

    // The tick runs start → question: the question arrives live on the widget socket.
    await new Engine().tick(new Date().toISOString());
    setClock(null);
    expect(await tab.next((f) => f.type === "message" && f.sender === "ai")).toMatchObject({ text: "What is your goal?" });
    expect(await enrolment()).toMatchObject({ awaiting: "answer" });

    await tab.say("answer-1", "Run a 10k in spring");
    // The answer moves the enrolment on (the next tick runs what follows the question).
    await eventually(async () => ((await enrolment())?.awaiting !== "answer" ? true : undefined), "the enrolment moved on");
    await tab.say("chat-1", "What should I eat before a run?");
    const reply = await tab.aiReply();

    await conversationStub(env, session.conversation_id).flushOutbox();
    const rows = await d1Messages(session.conversation_id);
    // One AI answer, to the ordinary message: the answer to the question got none.
    expect(rows.map((m) => m.sender)).toEqual(["ai", "user", "user", "ai"]);
    expect(rows[3]!.text).toBe(reply.text);
    expectGapless(rows);
    const profile = await env.DB.prepare("SELECT profile FROM end_users WHERE id = ?").bind(endUserId).first<{ profile: string }>();
    expect(JSON.parse(profile!.profile)).toMatchObject({ goal: "Run a 10k in spring" });
    tab.close();
  });

  it("delivers a proactive message to an open widget once, however often it is retried", async () => {
    const owner = await createCreator();
    const session = await openSession(await widgetKeyOf(owner.access_token));
    const tab = await connect(session.websocket_url, session.token);
    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>();
    const input = { creatorId: owner.creator.id, endUserId: conv!.end_user_id, text: "Time for your check-in!", sender: "ai" as const, kind: "proactive" as const, idempotencyKey: "rule:w:1" };
    const results = await Promise.all([deliverToEndUser(env, input), deliverToEndUser(env, input)]);
    expect(results.every((r) => r.delivered && r.conversationId === session.conversation_id && r.seq === 1)).toBe(true);
    expect(await tab.next((f) => f.type === "message")).toMatchObject({ sender: "ai", text: "Time for your check-in!", seq: 1 });
    expect(await deliverToEndUser(env, input)).toMatchObject({ delivered: true, seq: 1, reason: "duplicate" });
    const rows = await d1Messages(session.conversation_id);
    expect(rows).toEqual([{ seq: 1, sender: "ai", text: "Time for your check-in!", delivery_status: null, client_message_id: "rule:w:1" }]);
    // Nothing else reached the socket (a ping round trip orders it after anything already sent).
    tab.send({ type: "ping" });
    await tab.next("pong");
    expect(tab.frames.filter((f) => f.type === "message")).toHaveLength(1);
    tab.close();
  });
});
