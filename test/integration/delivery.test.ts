// The seam to the conversation paths: deliverToEndUser (every outgoing program/proactive message)
// and onUserMessage (every incoming user message), tested directly.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { deliverToEndUser } from "../../src/modules/programs/delivery";
import { onEndUserCreated, onUserMessage } from "../../src/modules/programs/inbound";
import { api, createCreator } from "../helpers";
import { simpleFlow } from "../support/flows";
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

describe("onEndUserCreated", () => {
  it("enrols a new user in the live programs whose published version auto-enrols, once", async () => {
    const owner = await createCreator();
    const t = owner.access_token;
    const make = async (settings: Record<string, unknown>, publish: boolean) => {
      const p = (await (await api("/api/v1/programs", { method: "POST", token: t, json: { name: "P", flow_definition: simpleFlow(), settings } })).json()) as { id: string };
      if (publish) await api(`/api/v1/programs/${p.id}/publish`, { method: "POST", token: t });
      return p.id;
    };
    const auto = await make({ auto_enroll: true }, true);
    await make({ auto_enroll: true }, false); // never published
    await make({ auto_enroll: false }, true);
    const archived = await make({ auto_enroll: true }, true);
    await api(`/api/v1/programs/${archived}/archive`, { method: "POST", token: t });
    const user = await createEndUser({ creatorId: owner.creator.id });
    const first = await onEndUserCreated(env, { creatorId: owner.creator.id, endUserId: user });
    expect(first.enrolled).toHaveLength(1);
    expect(await onEndUserCreated(env, { creatorId: owner.creator.id, endUserId: user })).toEqual({ enrolled: [] });
    const rows = await env.DB.prepare("SELECT program_id FROM program_enrollments WHERE end_user_id = ?").bind(user).all<{ program_id: string }>();
    expect(rows.results.map((r) => r.program_id)).toEqual([auto]);
  });
});
