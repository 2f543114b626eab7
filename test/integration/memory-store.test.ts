// The memory store (customer-support Memory Engine): per end user, per creator; bad input, tenancy, ttl, delete, erasure registry.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ownedTables } from "../../src/db/ownership";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup, openSession, widgetKeyOf } from "../realtime";
import { conversationStub } from "../../src/realtime";
import { detectIntent } from "../../src/ai/intent";

async function endUserOf(token: string, creatorId: string): Promise<string> {
  await openSession(await widgetKeyOf(token));
  const row = await env.DB.prepare("SELECT id FROM end_users WHERE creator_id = ? ORDER BY created_at DESC LIMIT 1").bind(creatorId).first<{ id: string }>();
  return row!.id;
}

describe("memory store", { timeout: 60_000 }, () => {
  it("stores, replaces, filters, expires and deletes memories of an end user", async () => {
    const s = await createCreator();
    const user = await endUserOf(s.access_token, s.creator.id);
    const store = (body: Record<string, unknown>) => api("/api/memory/memories", { method: "POST", token: s.access_token, json: { user_id: user, ...body } });

    const first = await store({ type: "long_term", key: "goal", value: "run a half marathon", metadata: { source: "conversation" } });
    expect(first.status).toBe(201);
    const stored = (await first.json()) as { id: string; status: string; user_id: string; type: string };
    expect(stored).toMatchObject({ status: "stored", user_id: user, type: "long_term" });
    // Same user, type and key: replaced, same id.
    const again = (await (await store({ type: "long_term", key: "goal", value: "run a marathon" })).json()) as { id: string };
    expect(again.id).toBe(stored.id);
    await store({ type: "long_term", key: "injuries", value: ["left knee"] });
    await store({ type: "short_term", key: "mood", value: { today: "tired" } });
    await store({ type: "short_term", key: "gone", value: 1, ttl: 1 });
    await env.DB.prepare("UPDATE end_user_memories SET expires_at = '2000-01-01T00:00:00.000Z' WHERE key = 'gone'").run();

    const all = (await (await api(`/api/memory/memories/${user}`, { token: s.access_token })).json()) as { user_id: string; memories: any[] };
    expect(all.user_id).toBe(user);
    expect(all.memories.map((m) => `${m.type}:${m.key}`).sort()).toEqual(["long_term:goal", "long_term:injuries", "short_term:mood"]);
    expect(all.memories.find((m) => m.key === "goal")).toMatchObject({ value: "run a marathon", metadata: { created_at: expect.any(String) } });
    const longTerm = (await (await api(`/api/memory/memories/${user}?type=long_term`, { token: s.access_token })).json()) as any;
    expect(longTerm.memories).toHaveLength(2);
    const byKey = (await (await api(`/api/memory/memories/${user}?key=mood`, { token: s.access_token })).json()) as any;
    expect(byKey.memories.map((m: any) => m.value)).toEqual([{ today: "tired" }]);
    expect(((await (await api(`/api/memory/memories/${user}?key=mood`, { token: s.access_token })).json()) as any).memories[0].metadata.last_accessed).toEqual(expect.any(String));

    const one = await api(`/api/memory/memories/${user}/${stored.id}`, { method: "DELETE", token: s.access_token });
    expect(await one.json()).toEqual({ deleted: 1 });
    expect((await api(`/api/memory/memories/${user}/${stored.id}`, { method: "DELETE", token: s.access_token })).status).toBe(404);
    const rest = await api(`/api/memory/memories/${user}?type=short_term`, { method: "DELETE", token: s.access_token });
    expect(((await rest.json()) as any).deleted).toBe(2);
    const left = (await (await api(`/api/memory/memories/${user}`, { token: s.access_token })).json()) as any;
    expect(left.memories.map((m: any) => m.key)).toEqual(["injuries"]);
  });

  it("rejects bad input with field details and stores nothing", async () => {
    const s = await createCreator();
    const user = await endUserOf(s.access_token, s.creator.id);
    for (const [body, field] of [
      [{ user_id: user, type: "forever", key: "k", value: 1 }, "type"],
      [{ user_id: user, type: "long_term", key: "has spaces", value: 1 }, "key"],
      [{ user_id: user, type: "long_term", key: "k" }, "value"],
      [{ user_id: user, type: "long_term", key: "k", value: "x".repeat(20_000) }, "value"],
      [{ user_id: user, type: "long_term", key: "k", value: 1, ttl: 0 }, "ttl"],
      [{ user_id: "not-a-uuid", type: "long_term", key: "k", value: 1 }, "user_id"],
    ] as const) {
      const res = await api("/api/memory/memories", { method: "POST", token: s.access_token, json: body });
      expect(res.status).toBe(422);
      expect((await errorOf(res)).details.map((d) => d.field)).toContain(field);
    }
    expect((await api(`/api/memory/memories/${user}?type=bogus`, { token: s.access_token })).status).toBe(422);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM end_user_memories WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(count!.n).toBe(0);
    expect((await api("/api/memory/memories", { method: "POST", json: { user_id: user, type: "long_term", key: "k", value: 1 } })).status).toBe(401);
  });

  it("keeps memories per creator: another creator's end user is 404 everywhere", async () => {
    const a = await createCreator();
    const b = await createCreator();
    const userA = await endUserOf(a.access_token, a.creator.id);
    await api("/api/memory/memories", { method: "POST", token: a.access_token, json: { user_id: userA, type: "long_term", key: "goal", value: "secret goal" } });
    const asB = await api("/api/memory/memories", { method: "POST", token: b.access_token, json: { user_id: userA, type: "long_term", key: "goal", value: "overwrite" } });
    expect(asB.status).toBe(404);
    expect((await api(`/api/memory/memories/${userA}`, { token: b.access_token })).status).toBe(404);
    expect((await api(`/api/memory/memories/${userA}`, { method: "DELETE", token: b.access_token })).status).toBe(404);
    const mine = (await (await api(`/api/memory/memories/${userA}`, { token: a.access_token })).json()) as any;
    expect(mine.memories.map((m: any) => m.value)).toEqual(["secret goal"]);
  });

  it("is registered as creator-owned data (GDPR export and erasure walk it)", () => {
    expect(ownedTables().map((t) => t.table)).toContain("end_user_memories");
  });

  it("the conversation context carries intent, entities and the end user's memory", async () => {
    const { creator, session, tab } = await chatSetup();
    tab.send({ type: "message", id: "m1", text: "I want to cancel my Premium plan before Friday, write to me at sam@example.com" });
    await tab.aiReply();
    await conversationStub(env, session.conversation_id).flushOutbox();
    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>();
    await api("/api/memory/memories", { method: "POST", token: creator.access_token, json: { user_id: conv!.end_user_id, type: "long_term", key: "goal", value: "run a marathon" } });
    const ctx = (await (await api(`/api/v1/ai/conversations/${session.conversation_id}/context`, { token: creator.access_token })).json()) as any;
    expect(ctx.intent).toMatchObject({ name: "cancellation" });
    expect(ctx.entities).toMatchObject({ email: ["sam@example.com"], weekday: ["friday"], plan: ["premium plan"] });
    expect(ctx.memory).toEqual([{ type: "long_term", key: "goal", value: "run a marathon", updated_at: expect.any(String) }]);
    const stranger = await createCreator();
    expect((await api(`/api/v1/ai/conversations/${session.conversation_id}/context`, { token: stranger.access_token })).status).toBe(404);
    tab.close();
  });

  it("recognises the rule set's intents", () => {
    expect(detectIntent("Hi!").name).toBe("greeting");
    expect(detectIntent("How much is the coached plan?").name).toBe("pricing");
    expect(detectIntent("Can I book a session on Tuesday?").name).toBe("scheduling");
    expect(detectIntent("I want my money back").name).toBe("cancellation");
    expect(detectIntent("Let me talk to a real person please").name).toBe("handover");
    expect(detectIntent("This is unacceptable, the app crashed again").name).toBe("complaint");
    expect(detectIntent("What should I eat before training?").name).toBe("question");
  });
});
