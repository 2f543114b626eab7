// Durability: evict or abort the conversation's object mid-conversation; no acknowledged message is
// lost or duplicated, in the object's log or in the D1 mirror; the outbox retries until D1 takes it.
import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { api } from "../helpers";
import { chatSetup, connect, type SocketClient } from "../realtime";

async function d1Messages(conversationId: string) {
  const rows = await env.DB.prepare("SELECT seq, client_message_id FROM messages WHERE conversation_id = ? AND sender = 'user' ORDER BY seq")
    .bind(conversationId)
    .all<{ seq: number; client_message_id: string }>();
  return rows.results;
}

/** Everything the object holds, through the protocol: resume from 0 on a fresh socket. */
async function replayAll(path: string, token: string): Promise<{ seq: number; clientId?: string; sender: string }[]> {
  const client = await connect(path, token);
  client.send({ type: "resume", afterSeq: 0 });
  const done = await client.next("resumed");
  const messages = client.frames.filter((f) => f.type === "message") as unknown as { seq: number; clientId?: string; sender: string }[];
  expect(messages.length === 0 || messages.at(-1)!.seq === done.seq).toBe(true);
  client.close();
  return messages;
}

/** Sends without waiting; collects whichever acks arrive before `cut` runs. */
async function burst(tab: SocketClient, ids: string[], cut: () => Promise<unknown>) {
  for (const id of ids) tab.send({ type: "message", id, text: `message ${id}` });
  await tab.next((f) => f.type === "ack" && f.id === ids[0]);
  await cut().catch(() => undefined);
  return new Map(tab.frames.filter((f) => f.type === "ack").map((f) => [f.id as string, f.seq as number]));
}

describe("conversation durability", () => {
  it("keeps every acknowledged message exactly once across an eviction and an abort, D1 mirror included", async () => {
    const { session, tab } = await chatSetup();
    const stub = conversationStub(env, session.conversation_id);
    const acked = new Map<string, number>();
    for (const id of ["a1", "a2", "a3"]) acked.set(id, await tab.say(id, `message ${id}`));

    // Eviction: the socket hibernates, the instance goes; the conversation continues on the same socket.
    await evictDurableObject(stub);
    for (const id of ["b1", "b2"]) acked.set(id, await tab.say(id, `message ${id}`));

    // Abort in the middle of a burst: whatever was acked before the cut must survive.
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const before = await burst(tab, ids, () => abortAllDurableObjects());
    for (const [id, seq] of before) acked.set(id, seq);
    await tab.next(() => false, { what: "close" }).catch(() => undefined);
    expect(tab.closed).not.toBeNull();

    // The client reconnects and resends what it never saw acked, with the same ids (as the widget does).
    const back = await connect(session.websocket_url, session.token);
    for (const id of [...acked.keys(), ...ids]) {
      const seq = await back.say(id, `message ${id}`);
      if (acked.has(id)) expect(seq).toBe(acked.get(id));
      acked.set(id, seq);
    }
    back.close();

    const log = (await replayAll(session.websocket_url, session.token)).filter((m) => m.sender === "user");
    const ids2 = log.map((m) => m.clientId);
    expect(new Set(ids2).size).toBe(ids2.length);
    expect(log.map((m) => [m.clientId, m.seq]).sort()).toEqual([...acked.entries()].sort());

    // A stub from before the abort is broken for good: take a fresh one.
    await conversationStub(env, session.conversation_id).flushOutbox();
    const mirror = await d1Messages(session.conversation_id);
    expect(mirror.map((m) => [m.client_message_id, m.seq]).sort()).toEqual([...acked.entries()].sort());
  });

  it("answers an acknowledged message exactly once when the object dies while the reply is being generated", async () => {
    const { session, tab } = await chatSetup();
    // D1 is kept busy by one long query: the reply's turn (programs, retrieval, the fallback, the
    // metrics) reads D1 first, so it is still being worked on when the object is aborted.
    const busy = env.DB.prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) SELECT count(*) AS n FROM c")
      .first()
      .catch(() => null);
    const userSeq = await tab.say("owed-1", "What do you offer?");
    await abortAllDurableObjects();
    await busy;
    // The precondition of this test: no reply was stored (or shown) before the object died.
    expect(tab.frames.some((f) => f.type === "message" && f.sender === "ai")).toBe(false);
    await tab.next(() => false, { what: "close" }).catch(() => undefined);

    // The widget reconnects and resumes from the last seq it saw; the owed reply comes, once.
    const back = await connect(session.websocket_url, session.token);
    back.send({ type: "resume", afterSeq: userSeq });
    const reply = await back.aiReply();
    expect(reply.seq).toBeGreaterThan(userSeq);

    // Nothing answers it again: not the alarm, not another reconnect.
    const stub = conversationStub(env, session.conversation_id);
    await runDurableObjectAlarm(stub);
    const again = await connect(session.websocket_url, session.token);
    again.send({ type: "resume", afterSeq: 0 });
    await again.next("resumed");
    await stub.flushOutbox();
    back.close();
    again.close();
    const log = await replayAll(session.websocket_url, session.token);
    expect(log.filter((m) => m.sender === "ai").map((m) => m.seq)).toEqual([reply.seq]);
    const mirror = await env.DB.prepare("SELECT seq FROM messages WHERE conversation_id = ? AND sender = 'ai'").bind(session.conversation_id).all<{ seq: number }>();
    expect(mirror.results.map((r) => r.seq)).toEqual([reply.seq]);
  });

  it("retries the D1 outbox until D1 accepts the writes", async () => {
    const { session, tab } = await chatSetup();
    const stub = conversationStub(env, session.conversation_id);
    // D1 "fails": the mirror table is gone for a while. Acks must not depend on it.
    await env.DB.exec("ALTER TABLE messages RENAME TO messages_away");
    let acked: number[] = [];
    try {
      for (const id of ["o1", "o2", "o3"]) acked.push(await tab.say(id, `message ${id}`));
      await stub.flushOutbox();
    } finally {
      await env.DB.exec("ALTER TABLE messages_away RENAME TO messages");
    }
    expect(acked).toEqual(acked.slice().sort((a, b) => a - b));
    // The failed flush left a retry alarm behind; running it delivers everything, once.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const mirror = await d1Messages(session.conversation_id);
    expect(mirror.map((m) => m.client_message_id)).toEqual(["o1", "o2", "o3"]);
    await stub.flushOutbox();
    expect((await d1Messages(session.conversation_id)).length).toBe(3);
    tab.close();
  });

  it("forgets a conversation erased from D1 (GDPR): closes its sockets and drops its log", async () => {
    const { session, tab } = await chatSetup();
    await tab.say("g1", "personal data");
    await env.DB.prepare("DELETE FROM conversations WHERE id = ?").bind(session.conversation_id).run();
    await env.DB.prepare("DELETE FROM messages WHERE conversation_id = ?").bind(session.conversation_id).run();
    await tab.say("g2", "more personal data");
    await conversationStub(env, session.conversation_id).flushOutbox();
    await tab.next(() => false, { what: "close" }).catch(() => undefined);
    expect(tab.closed?.code).toBe(1008);
    // Nothing came back to D1, and the object holds nothing any more.
    const left = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ?").bind(session.conversation_id).first<{ n: number }>();
    expect(left?.n).toBe(0);
    const again = await api(`${session.websocket_url}?token=${session.token}`, { headers: { Upgrade: "websocket" } });
    expect(again.status).toBe(404);
  });
});
