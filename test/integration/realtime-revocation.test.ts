// Revoking widget tokens before they expire: DELETE /channels/sessions/{id} ends one session, POST
// /creators/widget/rotate-key revokes every token of the creator; sockets holding them are closed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { REVOKED_CLOSE_CODE } from "../../src/realtime";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup, connect, createAgent, openSession, type SocketClient } from "../realtime";

async function closedWith(tab: SocketClient): Promise<number | undefined> {
  await tab.next(() => false, { what: "close" }).catch(() => undefined);
  return tab.closed?.code;
}

async function refused(path: string, token: string): Promise<number> {
  const res = await api(`${path}?token=${encodeURIComponent(token)}`, { headers: { Upgrade: "websocket" } });
  res.webSocket?.accept();
  res.webSocket?.close();
  return res.status;
}

describe("DELETE /api/v1/channels/sessions/{session_id}", () => {
  it("ends the session: its tokens are revoked, its sockets closed, and the next session starts anew", async () => {
    const { creator, widgetKey, session, tab } = await chatSetup();
    const secondTab = await connect(session.websocket_url, session.token);
    const neighbour = await openSession(widgetKey);
    const neighbourTab = await connect(neighbour.websocket_url, neighbour.token);
    await tab.say("m1", "hello");

    const path = `/api/v1/channels/sessions/${session.session_id}`;
    expect((await api(path, { method: "DELETE", token: session.token })).status).toBe(204);
    expect(await closedWith(tab)).toBe(REVOKED_CLOSE_CODE);
    expect(await closedWith(secondTab)).toBe(REVOKED_CLOSE_CODE);
    // The token is dead everywhere: the socket, the session's REST calls.
    expect(await refused(session.websocket_url, session.token)).toBe(401);
    expect((await api(path, { token: session.token })).status).toBe(401);
    // Another visitor of the same creator is untouched.
    expect(await neighbourTab.say("n1", "still here")).toBeGreaterThan(0);

    const read = await api(path, { token: creator.access_token });
    expect(((await read.json()) as { ended_at: string | null }).ended_at).not.toBeNull();
    // The conversation stays (with its messages); the visitor's next session is a new one.
    const conv = await api(`/api/v1/conversations/${session.conversation_id}/messages`, { token: creator.access_token });
    expect(conv.status).toBe(200);
    const next = await openSession(widgetKey, { visitor_id: session.visitor_id, visitor_secret: session.visitor_secret, session_id: session.session_id });
    expect(next.session_id).not.toBe(session.session_id);
    expect(next.conversation_id).not.toBe(session.conversation_id);
    expect(next.resumed).toBe(false);
    // Ending again (an agent this time) changes nothing and says so the same way.
    const agent = await createAgent(creator.access_token);
    expect((await api(path, { method: "DELETE", token: agent.access_token })).status).toBe(204);
    neighbourTab.close();
  });

  it("refuses no token, another session's token, another creator and a bad id, and changes nothing", async () => {
    const { widgetKey, session, tab } = await chatSetup();
    const other = await openSession(widgetKey);
    const path = `/api/v1/channels/sessions/${session.session_id}`;
    expect((await api(path, { method: "DELETE" })).status).toBe(401);
    const foreignSession = await api(path, { method: "DELETE", token: other.token });
    expect(foreignSession.status).toBe(404);
    const foreignCreator = await api(path, { method: "DELETE", token: (await createCreator()).access_token });
    expect(foreignCreator.status).toBe(404);
    expect((await errorOf(foreignCreator)).code).toBe("RESOURCE_NOT_FOUND");
    expect((await api("/api/v1/channels/sessions/not-a-uuid", { method: "DELETE", token: session.token })).status).toBe(422);
    // Still alive.
    expect(await tab.say("ok", "nothing happened")).toBeGreaterThan(0);
    expect((await api(path, { token: session.token })).status).toBe(200);
    tab.close();
  });
});

describe("POST /api/v1/creators/widget/rotate-key", () => {
  it("gives a new widget key, revokes every token issued before and closes their sockets", async () => {
    const { creator, widgetKey, session, tab } = await chatSetup();
    const another = await openSession(widgetKey);
    const anotherTab = await connect(another.websocket_url, another.token);
    const bystander = await chatSetup(); // another creator's visitor
    // The sweep finds open sockets by the presence the objects report (urgently, a moment after a connect).
    for (const c of [session, another]) await conversationStub(env, c.conversation_id).flushOutbox();

    const agent = await createAgent(creator.access_token);
    const denied = await api("/api/v1/creators/widget/rotate-key", { method: "POST", token: agent.access_token });
    expect(denied.status).toBe(403);
    expect(await tab.say("before", "still fine")).toBeGreaterThan(0);

    const res = await api("/api/v1/creators/widget/rotate-key", { method: "POST", token: creator.access_token });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { widget_key: string; embed_code: string };
    expect(rotated.widget_key).not.toBe(widgetKey);
    expect(rotated.embed_code).toContain(rotated.widget_key);
    expect(await closedWith(tab)).toBe(REVOKED_CLOSE_CODE);
    expect(await closedWith(anotherTab)).toBe(REVOKED_CLOSE_CODE);
    expect(await refused(session.websocket_url, session.token)).toBe(401);
    expect((await api(`/api/v1/channels/sessions/${session.session_id}`, { token: session.token })).status).toBe(401);

    // The old key opens nothing; the new key works, and resumes the visitor's conversation.
    const old = await api("/api/v1/channels/sessions", { method: "POST", json: { widget_key: widgetKey } });
    expect(old.status).toBe(404);
    const fresh = await openSession(rotated.widget_key, { visitor_id: session.visitor_id, visitor_secret: session.visitor_secret, session_id: session.session_id });
    expect(fresh.conversation_id).toBe(session.conversation_id);
    const back = await connect(fresh.websocket_url, fresh.token);
    expect(await back.say("after", "hello again")).toBeGreaterThan(0);
    // Another creator's visitor never noticed.
    expect(await bystander.tab.say("b1", "hi")).toBeGreaterThan(0);
    back.close();
    bystander.tab.close();
  });
});
