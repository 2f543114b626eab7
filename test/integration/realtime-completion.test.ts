// Completing conversations (a support desk's "resolve"): an agent's `complete` frame or
// POST /conversations/{id}/complete, the cron's idle sweep, and the visitor's next message reopening it.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { setClock } from "../../src/lib/clock";
import { HOUR } from "../../src/lib/clock";
import { completeIdleConversations } from "../../src/modules/conversations/idle";
import { conversationStub } from "../../src/realtime";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup, connect, createAgent, openSession } from "../realtime";

afterEach(() => setClock(null));

async function d1Status(conversationId: string) {
  await conversationStub(env, conversationId).flushOutbox();
  return env.DB.prepare("SELECT status, assigned_member_id FROM conversations WHERE id = ?")
    .bind(conversationId)
    .first<{ status: string; assigned_member_id: string | null }>();
}

describe("completing a conversation", () => {
  it("an agent's complete frame resolves it and ends the handover; the visitor writing again reopens it", async () => {
    const { creator, widgetKey, session, tab } = await chatSetup();
    const cid = session.conversation_id;
    const agent = await createAgent(creator.access_token, "Jane Smith");
    const desk = await connect(`/api/v1/conversations/${cid}/connect`, agent.access_token);
    await tab.next("agent_joined");

    desk.send({ type: "complete" });
    expect(await tab.next("conversation_status")).toMatchObject({ status: "completed", reason: "resolved" });
    expect(await tab.next("agent_left")).toMatchObject({ agent: { name: "Jane Smith" } });
    // The notice carries its code, so the widget shows it in its own language.
    expect(await tab.next((f) => f.type === "message" && f.sender === "system" && /resolved/.test(String(f.text)))).toMatchObject({
      notice: { code: "resolved" },
    });
    expect(await d1Status(cid)).toEqual({ status: "completed", assigned_member_id: null });
    const listed = await api("/api/v1/conversations?status=completed", { token: creator.access_token });
    expect(((await listed.json()) as { conversations: { id: string }[] }).conversations.map((c) => c.id)).toEqual([cid]);

    // A reload resumes the same conversation, and the next message reopens it for the AI.
    const again = await openSession(widgetKey, { visitor_id: session.visitor_id, visitor_secret: session.visitor_secret, session_id: session.session_id });
    expect(again).toMatchObject({ conversation_id: cid, resumed: true });
    await tab.say("q-back", "One more question please");
    expect(await tab.next("conversation_status")).toMatchObject({ status: "active", reason: "user_message" });
    await tab.aiReply();
    expect(await d1Status(cid)).toEqual({ status: "active", assigned_member_id: null });
    tab.close();
    desk.close();
  });

  it("POST /complete resolves it once (a second call changes nothing) and is refused for bad input", async () => {
    const { creator, session, tab } = await chatSetup();
    const cid = session.conversation_id;
    const path = `/api/v1/conversations/${cid}/complete`;
    const first = await api(path, { method: "POST", token: creator.access_token });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ id: cid, status: "completed" });
    expect(await tab.next("conversation_status")).toMatchObject({ status: "completed", reason: "resolved" });
    const second = await api(path, { method: "POST", token: creator.access_token });
    expect(await second.json()).toMatchObject({ status: "completed" });
    await conversationStub(env, cid).flushOutbox();
    const notes = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND sender = 'system' AND text LIKE '%resolved%'")
      .bind(cid)
      .first<{ n: number }>();
    expect(notes?.n).toBe(1);

    // Only an agent completes over the socket.
    tab.send({ type: "complete" });
    expect(await tab.next("error")).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });
    // Another creator: 404, and nothing changes; a bad id: 422; no token: 401.
    const other = await createCreator();
    const foreign = await api(path, { method: "POST", token: other.access_token });
    expect(foreign.status).toBe(404);
    expect((await errorOf(foreign)).code).toBe("RESOURCE_NOT_FOUND");
    expect((await api("/api/v1/conversations/not-a-uuid/complete", { method: "POST", token: creator.access_token })).status).toBe(422);
    expect((await api(path, { method: "POST" })).status).toBe(401);
    // Archived is closed for good: completing it is a conflict.
    await api(`/api/v1/conversations/${cid}/archive`, { method: "POST", token: creator.access_token });
    const archived = await api(path, { method: "POST", token: creator.access_token });
    expect(archived.status).toBe(409);
    expect((await errorOf(archived)).code).toBe("CONFLICT");
    expect(await d1Status(cid)).toMatchObject({ status: "archived" });
    tab.close();
  });
});

describe("the cron's idle sweep", () => {
  it("completes active conversations idle for the configured hours, and only those", async () => {
    const idle = await chatSetup();
    await idle.tab.say("i1", "hello");
    await idle.tab.aiReply();
    const waiting = await chatSetup();
    waiting.tab.send({ type: "handover_request" });
    await waiting.tab.next("handover_initiated");
    // D1 believes this one is idle, but its object has a recent message: the object's word counts.
    const stale = await chatSetup();
    await stale.tab.say("s1", "hello");
    for (const c of [idle, waiting, stale]) await d1Status(c.session.conversation_id);

    setClock(Date.now() + 25 * HOUR);
    await stale.tab.say("s2", "still here");
    await conversationStub(env, stale.session.conversation_id).flushOutbox();
    await env.DB.prepare("UPDATE conversations SET last_message_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(stale.session.conversation_id).run();

    // Off when set to 0.
    expect(await completeIdleConversations({ ...env, CONVERSATION_IDLE_COMPLETE_HOURS: "0" })).toEqual({ checked: 0, completed: 0 });
    const result = await completeIdleConversations(env);
    expect(result.completed).toBeGreaterThanOrEqual(1);
    expect(await idle.tab.next("conversation_status")).toMatchObject({ status: "completed", reason: "idle" });
    expect((await d1Status(idle.session.conversation_id))?.status).toBe("completed");
    expect((await d1Status(waiting.session.conversation_id))?.status).toBe("waiting_human");
    expect((await d1Status(stale.session.conversation_id))?.status).toBe("active");
    // No notice in the chat for a silent sweep; a second sweep finds nothing more to do for it.
    expect(idle.tab.frames.some((f) => f.type === "message" && f.sender === "system")).toBe(false);
    expect((await completeIdleConversations(env)).completed).toBe(0);
    for (const c of [idle, waiting, stale]) c.tab.close();
  });
});
