// The seam to the conversation paths: deliverToEndUser (every outgoing program/proactive message)
// and onUserMessage (every incoming user message), tested directly.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { deliverToEndUser } from "../../src/modules/programs/delivery";
import { onUserMessage } from "../../src/modules/programs/inbound";
import { createCreator } from "../helpers";
import { createEndUser, messagesOf, setClock, userSays } from "../support/engine";

afterEach(() => setClock(null));
const base = (creatorId: string, endUserId: string, key: string) => ({ creatorId, endUserId, text: "Hi there", sender: "ai" as const, kind: "program" as const, idempotencyKey: key });

describe("deliverToEndUser", () => {
  it("creates the user's conversation when there is none, numbers messages, and stores a retried key once", async () => {
    const owner = await createCreator();
    const user = await createEndUser({ creatorId: owner.creator.id, channel: "telegram" });
    setClock("2026-02-01T10:00:00Z");
    const first = await deliverToEndUser(env, base(owner.creator.id, user, "k1"));
    expect(first).toMatchObject({ delivered: true, seq: 1 });
    const again = await Promise.all([deliverToEndUser(env, base(owner.creator.id, user, "k1")), deliverToEndUser(env, base(owner.creator.id, user, "k1"))]);
    expect(again.every((r) => r.delivered && r.messageId === first.messageId)).toBe(true);
    const second = await deliverToEndUser(env, { ...base(owner.creator.id, user, "k2"), text: "Second", sender: "system", kind: "proactive" });
    expect(second).toMatchObject({ delivered: true, seq: 2, conversationId: first.conversationId });
    const msgs = await messagesOf(user);
    expect(msgs.map((m) => [m.seq, m.sender, m.text])).toEqual([[1, "ai", "Hi there"], [2, "system", "Second"]]);
    const conv = await env.DB.prepare("SELECT channel, last_seq, last_message_at FROM conversations WHERE id = ?").bind(first.conversationId).first();
    expect(conv).toEqual({ channel: "telegram", last_seq: 2, last_message_at: "2026-02-01T10:00:00.000Z" });
    const row = await env.DB.prepare("SELECT delivery_status FROM messages WHERE id = ?").bind(first.messageId).first();
    expect(row).toEqual({ delivery_status: "queued" });
  });

  it("writes into the user's latest conversation; refuses unreachable and foreign users", async () => {
    const owner = await createCreator();
    const other = await createCreator();
    const user = await createEndUser({ creatorId: owner.creator.id });
    const convId = await userSays(owner.creator.id, user, "hello", "2026-02-01T09:00:00.000Z");
    const r = await deliverToEndUser(env, base(owner.creator.id, user, "x"));
    expect(r).toMatchObject({ delivered: true, conversationId: convId, seq: 2 });
    const blocked = await createEndUser({ creatorId: owner.creator.id, status: "unreachable" });
    expect(await deliverToEndUser(env, base(owner.creator.id, blocked, "y"))).toEqual({ delivered: false, reason: "unreachable" });
    expect(await deliverToEndUser(env, base(other.creator.id, user, "z"))).toEqual({ delivered: false, reason: "unknown_user" });
    expect(await messagesOf(blocked)).toEqual([]);
  });
});

describe("onUserMessage", () => {
  it("handles /stop, STOP and start; a message that answers nothing is not consumed", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    const user = await createEndUser({ creatorId: cid, channel: "whatsapp" });
    const say = (text: string) => onUserMessage(env, { creatorId: cid, endUserId: user, conversationId: crypto.randomUUID(), text });
    const optedOut = () => env.DB.prepare("SELECT count(*) AS n FROM proactive_opt_outs WHERE end_user_id = ?").bind(user).first<{ n: number }>().then((r) => r!.n);
    expect(await say("How do I stop snacking?")).toEqual({ consumed: false });
    expect(await optedOut()).toBe(0);
    expect(await say("STOP")).toEqual({ consumed: true });
    expect(await say("/stop")).toEqual({ consumed: true });
    expect(await optedOut()).toBe(1);
    expect(await say("start")).toEqual({ consumed: true });
    expect(await optedOut()).toBe(0);
    expect(await say("/start")).toEqual({ consumed: false }); // not opted out: an ordinary message
  });
});
