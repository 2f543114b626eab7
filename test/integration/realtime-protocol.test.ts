// The conversation Durable Object's protocol: ack after write, seq, idempotent ids, resume, AI stream.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { chatSetup, connect } from "../realtime";

describe("WS /api/v1/channels/widget/{creator_id}/connect", () => {
  it("greets with connection_established, acks a message with its seq, then streams the AI reply to every tab", async () => {
    const { session, tab } = await chatSetup();
    const other = await connect(session.websocket_url, session.token);
    const seq = await tab.say("c-1", "How do I reset my password?");
    expect(seq).toBe(1);
    const echoed = await other.next((f) => f.type === "message" && f.sender === "user");
    expect(echoed).toMatchObject({ seq: 1, text: "How do I reset my password?", clientId: "c-1" });
    const reply = await tab.aiReply();
    expect(reply.seq).toBe(2);
    expect(reply.text.length).toBeGreaterThan(0);
    // The other tab saw the same stream and the same final message.
    const otherReply = await other.aiReply();
    expect(otherReply.id).toBe(reply.id);
    tab.close();
    other.close();
  });

  it("acknowledges a resent client id again with the same seq and stores it once", async () => {
    const { session, tab } = await chatSetup();
    const first = await tab.say("same-id", "hello");
    await tab.aiReply();
    const again = await tab.say("same-id", "hello");
    expect(again).toBe(first);
    await env.CONVERSATION.get(env.CONVERSATION.idFromName(session.conversation_id)).flushOutbox();
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND client_message_id = 'same-id'")
      .bind(session.conversation_id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
    tab.close();
  });

  it("answers invalid frames with an error frame and keeps the socket open", async () => {
    const { tab } = await chatSetup();
    tab.send("not json");
    expect(await tab.next("error")).toMatchObject({ code: "MALFORMED_REQUEST" });
    tab.send({ type: "message", id: "x", text: "" });
    expect(await tab.next("error")).toMatchObject({ code: "VALIDATION_ERROR" });
    tab.send({ type: "nope" });
    expect(await tab.next("error")).toMatchObject({ code: "VALIDATION_ERROR" });
    tab.send({ type: "message", id: "bad id with spaces", text: "hi" });
    expect(await tab.next("error")).toMatchObject({ code: "VALIDATION_ERROR" });
    tab.send({ type: "resume", afterSeq: -1 });
    expect(await tab.next("error")).toMatchObject({ code: "VALIDATION_ERROR" });
    tab.send({ type: "release" });
    expect(await tab.next("error")).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });
    tab.send({ type: "ping" });
    expect(await tab.next("pong")).toEqual({ type: "pong" });
    expect(tab.closed).toBeNull();
    tab.close();
  });

  it("refuses a frame over 64 KiB with an error and stores nothing", async () => {
    const { session, tab } = await chatSetup();
    tab.send({ type: "message", id: "big", text: "a".repeat(64 * 1024) });
    expect(await tab.next("error")).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    // Just under the frame limit but over the text limit: a validation error, also not stored.
    tab.send({ type: "message", id: "long", text: "a".repeat(9000) });
    expect(await tab.next("error")).toMatchObject({ code: "VALIDATION_ERROR" });
    expect(await tab.say("small", "ok")).toBe(1);
    const summary = await conversationStub(env, session.conversation_id).summary(session.conversation_id, session.creator_id);
    expect(summary.lastSeq).toBeGreaterThanOrEqual(1);
    tab.close();
  });

  it("replays everything after afterSeq on resume, in order, without gaps", async () => {
    const { session, tab } = await chatSetup();
    await tab.say("m1", "one");
    await tab.aiReply();
    await tab.say("m2", "two");
    await tab.aiReply();
    tab.close();
    const back = await connect(session.websocket_url, session.token);
    back.send({ type: "resume", afterSeq: 1 });
    const replayed = [];
    for (let i = 0; i < 3; i++) replayed.push(await back.next("message"));
    expect(replayed.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(replayed.map((m) => m.sender)).toEqual(["ai", "user", "ai"]);
    expect(await back.next("resumed")).toMatchObject({ afterSeq: 1, seq: 4 });
    back.close();
  });

  it("sends typing indicators to the other participants only", async () => {
    const { session, tab } = await chatSetup();
    const other = await connect(session.websocket_url, session.token);
    tab.send({ type: "typing", isTyping: true });
    expect(await other.next("typing_start")).toMatchObject({ sender: "user" });
    tab.send({ type: "typing", isTyping: false });
    expect(await other.next("typing_stop")).toMatchObject({ sender: "user" });
    // A ping round trip after the typing frames proves the sender got nothing in between.
    tab.send({ type: "ping" });
    await tab.next("pong");
    expect(tab.frames.filter((f) => f.type === "typing_start" || f.type === "typing_stop")).toEqual([]);
    tab.close();
    other.close();
  });
});

describe("chat rate limit", () => {
  it("limits an end user's messages per minute in the chat category, without touching the creator's quota", async () => {
    const { creator, session, tab } = await chatSetup();
    // Paused AI (handover) so the test measures the limiter, not the answers.
    tab.send({ type: "handover_request" });
    await tab.next("handover_initiated");
    for (let i = 0; i < 100; i++) tab.send({ type: "message", id: `r${i}`, text: `n${i}` });
    await tab.next((f) => f.type === "ack" && f.id === "r99");
    tab.send({ type: "message", id: "r100", text: "one too many" });
    expect(await tab.next((f) => f.id === "r100")).toMatchObject({ type: "error", code: "RATE_LIMIT_EXCEEDED" });
    // A second tab of the same visitor shares the end user's budget.
    const other = await connect(session.websocket_url, session.token);
    other.send({ type: "message", id: "r101", text: "from the other tab" });
    expect(await other.next((f) => f.id === "r101")).toMatchObject({ type: "error", code: "RATE_LIMIT_EXCEEDED" });
    // The counters: 100 on the end user, nothing of the chat on the creator's hourly API quota.
    const counters = async (subject: string) =>
      runInDurableObject(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject)), (_o, state) =>
        Object.fromEntries(state.storage.sql.exec<{ key: string; count: number }>("SELECT key, count FROM counters").toArray().map((r) => [r.key, r.count])),
      );
    const endUserId = (await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>())!.end_user_id;
    expect(await counters(`enduser:${endUserId}`)).toEqual({ "enduser:chat": 100 });
    const creatorCounters = await counters(`creator:${creator.creator.id}`);
    expect(creatorCounters["creator:api"] ?? 0).toBeLessThan(5);
    tab.close();
    other.close();
  });
});
