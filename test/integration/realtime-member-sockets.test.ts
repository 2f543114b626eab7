// Tracker 11, item 4: a member who loses access (removed, role changed, tokens revoked) or signs out
// loses their live agent sockets at once (close code 4401) and can't read or post through them.
// Also the low item: typing and resume frames are rate limited per socket.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub, REVOKED_CLOSE_CODE } from "../../src/realtime";
import { api } from "../helpers";
import { chatSetup, connect, createAgent, type SocketClient } from "../realtime";

async function closedWith(socket: SocketClient): Promise<number | undefined> {
  await socket.next(() => false, { what: "close", timeoutMs: 8000 }).catch(() => undefined);
  return socket.closed?.code;
}

/** An agent socket, once the object has reported it to D1 (urgently, a moment after the connect): the sweep finds it there. */
async function agentOn(conversationId: string, token: string) {
  const socket = await connect(`/api/v1/conversations/${conversationId}/connect`, token);
  await conversationStub(env, conversationId).flushOutbox();
  return socket;
}

describe("a member's agent sockets when their access ends", { timeout: 30_000 }, () => {
  it("closes a removed agent's socket (4401): they can neither read the chat nor post into it", async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const live = await agentOn(session.conversation_id, agent.access_token);
    await live.say("a1", "Hi, I am here to help");
    const removed = await api(`/api/v1/team/members/${agent.member_id}`, { method: "DELETE", token: creator.access_token });
    expect(removed.status).toBe(204);
    expect(await closedWith(live)).toBe(REVOKED_CLOSE_CODE);
    // The attack: the removed agent keeps posting (and would reach Telegram/WhatsApp users).
    live.send({ type: "message", id: "a2", text: "still here" });
    await tab.say("u1", "hello?");
    const messages = (await (await api(`/api/v1/conversations/${session.conversation_id}/messages`, { token: creator.access_token })).json()) as {
      messages: { text: string }[];
    };
    expect(messages.messages.map((m) => m.text)).not.toContain("still here");
    // And the old access token no longer opens a socket.
    const again = await api(`/api/v1/conversations/${session.conversation_id}/connect?token=${agent.access_token}`, { headers: { Upgrade: "websocket" } });
    expect(again.status).toBe(401);
    tab.close();
  });

  it("closes the sockets when the member's role changes, and on logout only that login session's", async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const before = await agentOn(session.conversation_id, agent.access_token);
    const changed = await api(`/api/v1/team/members/${agent.member_id}`, { method: "PUT", token: creator.access_token, json: { role: "admin" } });
    expect(changed.status).toBe(200);
    expect(await closedWith(before)).toBe(REVOKED_CLOSE_CODE);

    // The owner's own socket, then the owner logs out: it closes; the agent's other login isn't touched.
    const ownerSocket = await agentOn(session.conversation_id, creator.access_token);
    const agentSocket = await agentOn(session.conversation_id, agent.access_token);
    const out = await api("/api/v1/auth/logout", { method: "POST", token: creator.access_token });
    expect(out.status).toBe(204);
    expect(await closedWith(ownerSocket)).toBe(REVOKED_CLOSE_CODE);
    agentSocket.send({ type: "ping" });
    expect((await agentSocket.next("pong")).type).toBe("pong");
    agentSocket.close();
    tab.close();
  });

  it("closes every socket of a member who revokes all their sessions", async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const socket = await agentOn(session.conversation_id, agent.access_token);
    const res = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: agent.access_token, json: { all_sessions: true } });
    expect(res.status).toBe(200);
    expect(await closedWith(socket)).toBe(REVOKED_CLOSE_CODE);
    tab.close();
  });
});

describe("typing and resume frames", { timeout: 30_000 }, () => {
  it("refuses a flood of typing frames without relaying it, and a flood of resumes", async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const watcher = await agentOn(session.conversation_id, agent.access_token);
    for (let i = 0; i < 70; i++) tab.send({ type: "typing", isTyping: i % 2 === 0 });
    const refused = await tab.next((f) => f.type === "error" && f.code === "RATE_LIMIT_EXCEEDED", { what: "typing limit" });
    expect(refused.message).toMatch(/typing/i);
    tab.send({ type: "ping" });
    await tab.next("pong");
    watcher.send({ type: "ping" });
    await watcher.next("pong");
    // 60 per minute by default: the agent saw at most that many of the 70.
    expect(watcher.frames.filter((f) => f.type === "typing_start" || f.type === "typing_stop").length).toBeLessThanOrEqual(60);

    for (let i = 0; i < 11; i++) tab.send({ type: "resume", afterSeq: 0 });
    const resumes = await tab.next((f) => f.type === "error" && f.code === "RATE_LIMIT_EXCEEDED" && /resume/i.test(f.message), { what: "resume limit" });
    expect(resumes.code).toBe("RATE_LIMIT_EXCEEDED");
    watcher.close();
    tab.close();
  });
});
