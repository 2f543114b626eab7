// REST reads through D1's Sessions API: the conversations and analytics GETs answer with the
// session's bookmark (X-D1-Bookmark) and accept it back, so a dashboard reading from a replica still
// sees its own writes; a malformed bookmark is refused before it reaches D1; other routes are untouched.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { policyOf } from "../../src/lib/router";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup } from "../realtime";

describe("D1 sessions on REST reads", () => {
  it("conversations and analytics GETs return a bookmark and accept it back; the answer still sees the latest write", async () => {
    const { creator: c, session, tab } = await chatSetup();
    await tab.say("m1", "Hello");
    await tab.aiReply();
    await conversationStub(env, session.conversation_id).flushOutbox();
    const first = await api("/api/v1/conversations", { token: c.access_token });
    expect(first.status).toBe(200);
    const bookmark = first.headers.get("X-D1-Bookmark");
    expect(bookmark).toMatch(/^[A-Za-z0-9._:-]+$/);
    // Carried back: the read is at least as fresh as the bookmark, so the conversation is there.
    const again = await api("/api/v1/conversations", { token: c.access_token, headers: { "X-D1-Bookmark": bookmark! } });
    expect(again.status).toBe(200);
    expect(JSON.stringify(await again.json())).toContain(session.conversation_id);
    expect(again.headers.get("X-D1-Bookmark")).toBeTruthy();
    const messages = await api(`/api/v1/conversations/${session.conversation_id}/messages`, { token: c.access_token, headers: { "X-D1-Bookmark": bookmark! } });
    expect(messages.status).toBe(200);
    expect(JSON.stringify(await messages.json())).toContain("Hello");
    const analytics = await api("/api/v1/analytics/overview", { token: c.access_token, headers: { "X-D1-Bookmark": bookmark! } });
    expect(analytics.status).toBe(200);
    expect(analytics.headers.get("X-D1-Bookmark")).toBeTruthy();
    tab.close();
  });

  it("a change made through the conversation object answers with the bookmark of its D1 write; a read carrying it sees the change", async () => {
    const { creator: c, session, tab } = await chatSetup();
    await tab.say("m1", "Hello");
    const archived = await api(`/api/v1/conversations/${session.conversation_id}/archive`, { method: "POST", token: c.access_token });
    expect(archived.status).toBe(200);
    expect(((await archived.json()) as { status: string }).status).toBe("archived");
    const bookmark = archived.headers.get("X-D1-Bookmark");
    expect(bookmark).toMatch(/^[A-Za-z0-9._:-]+$/);
    // The bookmark is the object's mirror write (the MirrorWriter's session), so the message it flushed is in it too.
    const read = await api(`/api/v1/conversations/${session.conversation_id}`, { token: c.access_token, headers: { "X-D1-Bookmark": bookmark! } });
    expect(((await read.json()) as { status: string }).status).toBe("archived");
    const messages = await api(`/api/v1/conversations/${session.conversation_id}/messages`, { token: c.access_token, headers: { "X-D1-Bookmark": bookmark! } });
    expect(JSON.stringify(await messages.json())).toContain("Hello");
    // Another creator's conversation: 404, no bookmark, nothing changed.
    const other = await createCreator();
    const refused = await api(`/api/v1/conversations/${session.conversation_id}/release`, { method: "POST", token: other.access_token });
    expect(refused.status).toBe(404);
    expect(refused.headers.get("X-D1-Bookmark")).toBeNull();
    const still = await env.DB.prepare("SELECT status FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ status: string }>();
    expect(still?.status).toBe("archived");
    tab.close();
  });

  it("the AI REST API's answer (stored through the conversation object) carries its bookmark; a read with it sees the turn", async () => {
    const c = await createCreator();
    const res = await api("/api/v1/ai/conversations", { method: "POST", token: c.access_token, json: { message: "Hello there" } });
    expect(res.status).toBe(200);
    const bookmark = res.headers.get("X-D1-Bookmark");
    expect(bookmark).toMatch(/^[A-Za-z0-9._:-]+$/);
    const { conversation_id, message_id } = (await res.json()) as { conversation_id: string; message_id: string };
    const read = await api(`/api/v1/conversations/${conversation_id}/messages`, { token: c.access_token, headers: { "X-D1-Bookmark": bookmark! } });
    const body = JSON.stringify(await read.json());
    expect(body).toContain("Hello there");
    expect(body).toContain(message_id);
  });

  it("a streamed answer carries the turn's bookmark in its final event (d1_bookmark); a read with it sees the question and the reply", async () => {
    const c = await createCreator();
    const res = await api("/api/v1/ai/conversations", { method: "POST", token: c.access_token, headers: { Accept: "text/event-stream" }, json: { message: "Streamed hello" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/event-stream");
    const events = (await res.text()).split(/\n\n/).filter(Boolean).map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1],
      data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as Record<string, string>,
    }));
    const done = events.at(-1)!;
    expect(done.event).toBe("done");
    expect(done.data.d1_bookmark).toMatch(/^[A-Za-z0-9._:-]+$/);
    const read = await api(`/api/v1/conversations/${done.data.conversation_id}/messages`, { token: c.access_token, headers: { "X-D1-Bookmark": done.data.d1_bookmark! } });
    expect(read.status).toBe(200);
    const { messages: data } = (await read.json()) as { messages: { id: string; sender: string; text: string }[] };
    expect(data.find((m) => m.sender === "user")?.text).toBe("Streamed hello");
    expect(data.find((m) => m.id === done.data.message_id)?.text).toBe(done.data.response);
  });

  it("refuses a malformed bookmark with a standard 400, and leaves routes without the replica policy alone", async () => {
    const c = await createCreator();
    for (const bad of ["", "x".repeat(300), "bad bookmark", "a;DROP TABLE messages"]) {
      const res = await api("/api/v1/conversations", { token: c.access_token, headers: { "X-D1-Bookmark": bad } });
      expect(res.status, bad).toBe(400);
      expect((await errorOf(res)).code).toBe("MALFORMED_REQUEST");
    }
    const me = await api("/api/v1/auth/me", { token: c.access_token, headers: { "X-D1-Bookmark": "bad bookmark" } });
    expect(me.status).toBe(200);
    expect(me.headers.get("X-D1-Bookmark")).toBeNull();
    expect(policyOf("GET", "/api/v1/conversations")?.reads).toBe("replica");
    expect(policyOf("GET", "/api/v1/analytics/overview")?.reads).toBe("replica");
    expect(policyOf("GET", "/api/v1/auth/me")?.reads).toBeUndefined();
  });
});
