// The conversation Durable Object's protocol: ack after write, seq, idempotent ids, resume, AI stream.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime/gateway";
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
