// The message path's speed levers keep programs' and the proactive engine's behaviour: the object
// caches "no program question waiting" and is told when a question starts waiting; a reply's
// proactive success mark rides in the mirror's batch (written with the message, not on its own).
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { conversationStub } from "../../src/realtime";
import { api, createCreator } from "../helpers";
import { eventually } from "../channel-helpers";
import { connect, openSession, widgetKeyOf } from "../realtime";
import { Engine, setClock } from "../support/engine";
import { edge, node } from "../support/flows";

vi.setConfig({ testTimeout: 60_000 });
afterEach(() => setClock(null));

const senders = async (conversationId: string) =>
  (await env.DB.prepare("SELECT sender, text FROM messages WHERE conversation_id = ? ORDER BY seq").bind(conversationId).all<{ sender: string; text: string }>()).results;

describe("programs and the object's cache of a pending question", () => {
  it("a visitor who chatted before the question was asked still has the answer taken by the question (no AI reply)", async () => {
    const owner = await createCreator();
    const flow = {
      nodes: [node("start", "start"), node("ask", "question", { question: "What is your goal?", key: "goal", timeout_hours: 24 }), node("done", "end"), node("late", "end")],
      edges: [edge("start", "ask"), edge("ask", "done", "answer"), edge("ask", "late", "timeout")],
    };
    const created = (await (await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "Goal", flow_definition: flow, settings: { auto_enroll: true } } })).json()) as { id: string };
    expect((await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token })).status).toBe(200);
    const session = await openSession(await widgetKeyOf(owner.access_token));
    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>();
    const enrolment = () => env.DB.prepare("SELECT awaiting, profile FROM program_enrollments e JOIN end_users u ON u.id = e.end_user_id WHERE e.end_user_id = ?").bind(conv!.end_user_id).first<{ awaiting: string | null; profile: string }>();
    const tab = await connect(session.websocket_url, session.token);

    // Before the tick nothing waits: the object learns "no question" and caches it.
    await tab.say("chat-0", "Hello there");
    await tab.aiReply();
    await tab.say("chat-1", "And another thing");
    await tab.aiReply();

    // The tick asks the question; programs tell the conversation, which stops trusting its cache.
    await new Engine().tick(new Date().toISOString());
    setClock(null);
    expect(await tab.next((f) => f.type === "message" && f.sender === "ai" && f.text === "What is your goal?")).toBeTruthy();
    expect(await enrolment()).toMatchObject({ awaiting: "answer" });

    await tab.say("answer-1", "Run a 10k in spring");
    await eventually(async () => ((await enrolment())?.awaiting !== "answer" ? true : undefined), "the enrolment moved on");
    expect(JSON.parse((await enrolment())!.profile)).toMatchObject({ goal: "Run a 10k in spring" });
    await tab.say("chat-2", "What should I eat before a run?");
    await tab.aiReply();

    await conversationStub(env, session.conversation_id).flushOutbox();
    const rows = await senders(session.conversation_id);
    // The answer to the question got no AI reply; every ordinary message got one.
    expect(rows.map((m) => m.sender)).toEqual(["user", "ai", "user", "ai", "ai", "user", "user", "ai"]);
    expect(rows[4]!.text).toBe("What is your goal?");
    tab.close();
  });

  it("an opt-out is still taken with a cached \"no question\" (no AI reply, the opt-out stored)", async () => {
    const owner = await createCreator();
    const session = await openSession(await widgetKeyOf(owner.access_token));
    const tab = await connect(session.websocket_url, session.token);
    await tab.say("chat-0", "Hi");
    await tab.aiReply();
    await tab.say("stop-1", "STOP");
    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>();
    await eventually(
      () => env.DB.prepare("SELECT 1 AS x FROM proactive_opt_outs WHERE end_user_id = ?").bind(conv!.end_user_id).first<{ x: number }>().then((r) => r ?? undefined),
      "the opt-out stored",
    );
    await conversationStub(env, session.conversation_id).flushOutbox();
    expect((await senders(session.conversation_id)).map((m) => m.sender)).toEqual(["user", "ai", "user"]);
    tab.close();
  });
});

describe("the proactive success mark in the mirror's batch", () => {
  it("a widget reply within the window marks the proactive send a success, at the message's time; an older send stays unmarked", async () => {
    const owner = await createCreator();
    const session = await openSession(await widgetKeyOf(owner.access_token));
    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>();
    const endUserId = conv!.end_user_id;
    const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    const insert = env.DB.prepare(
      `INSERT INTO proactive_sends (creator_id, rule_id, end_user_id, occurrence_key, action_index, status, due_at, local_date, sent_at, created_at)
       VALUES (?1, 'rule-x', ?2, ?3, 0, 'sent', ?4, substr(?4, 1, 10), ?4, ?4)`,
    );
    await env.DB.batch([insert.bind(owner.creator.id, endUserId, "recent", ago(1)), insert.bind(owner.creator.id, endUserId, "old", ago(30))]);
    const tab = await connect(session.websocket_url, session.token);
    await tab.say("reply-1", "Thanks for the reminder!");
    await tab.aiReply();
    await conversationStub(env, session.conversation_id).flushOutbox();

    const sends = await env.DB.prepare("SELECT occurrence_key, responded_at FROM proactive_sends WHERE end_user_id = ? ORDER BY occurrence_key").bind(endUserId).all<{ occurrence_key: string; responded_at: string | null }>();
    const message = await env.DB.prepare("SELECT created_at FROM messages WHERE conversation_id = ? AND sender = 'user'").bind(session.conversation_id).first<{ created_at: string }>();
    expect(sends.results).toEqual([
      { occurrence_key: "old", responded_at: null },
      { occurrence_key: "recent", responded_at: message!.created_at },
    ]);
    tab.close();
  });
});
