import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PLAN_LIMITS } from "../../src/config";
import { api, captureMail, createCreator, errorOf, inviteAndAccept } from "../helpers";
import { chatSetup } from "../realtime";

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const OPERATOR = { Authorization: `Bearer ${env.OPERATOR_API_KEY}` };

function setPlan(creatorId: string, body: unknown, headers: Record<string, string> = OPERATOR) {
  return api(`/api/v1/operator/creators/${creatorId}/plan`, { method: "PUT", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

describe("GET /api/v1/auth/dashboard", () => {
  it("shows the free tier's limits, this period's usage, sessions and conversations", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/auth/dashboard", { token: s.access_token });
    expect(res.status).toBe(200);
    const d = await json(res);
    expect(d.subscription_tier).toBe("free");
    expect(d.usage.ai_messages.day).toEqual({ used: 0, limit: PLAN_LIMITS.free.ai_messages.day, remaining: PLAN_LIMITS.free.ai_messages.day });
    // this very request is an API call
    expect(d.usage.api_calls.day.used).toBe(1);
    expect(d.usage.team_members).toEqual({ used: 1, limit: PLAN_LIMITS.free.team_members, remaining: PLAN_LIMITS.free.team_members! - 1 });
    expect(d.sessions.active).toBe(1);
    expect(d.conversations.total).toBe(0);
    expect(Date.parse(d.period.day_resets_at)).toBeGreaterThan(Date.now());
    expect((await api("/api/v1/auth/dashboard")).status).toBe(401);
  });
});

describe("PUT /api/v1/operator/creators/{creator_id}/plan", () => {
  it("changes the tier for the profile, new tokens and every limit at once", async () => {
    const s = await createCreator();
    const res = await setPlan(s.creator.id, { tier: "pro", overrides: { ai_messages: { day: 7 } } });
    expect(res.status).toBe(200);
    const plan = await json(res);
    expect(plan).toMatchObject({ subscription_tier: "pro", overrides: { ai_messages: { day: 7 } } });
    expect(plan.limits.ai_messages).toEqual({ day: 7, month: PLAN_LIMITS.pro.ai_messages.month });
    const me = await json(await api("/api/v1/auth/me", { token: s.access_token }));
    expect(me.subscription_tier).toBe("pro");
    const d = await json(await api("/api/v1/auth/dashboard", { token: s.access_token }));
    expect(d.subscription_tier).toBe("pro");
    expect(d.usage.knowledge_bases.limit).toBe(PLAN_LIMITS.pro.knowledge_bases);
    expect(d.usage.ai_messages.day.limit).toBe(7);
    // A fresh login's token carries the tier too.
    const login = await json(await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } }));
    const claims = JSON.parse(atob(login.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims.subscription_tier).toBe("pro");
    // Overrides can be cleared with an empty object.
    expect((await json(await setPlan(s.creator.id, { tier: "pro", overrides: {} }))).overrides).toEqual({});
  });

  it("is the operator's alone; bad input is 422, an unknown creator 404", async () => {
    const s = await createCreator();
    expect((await setPlan(s.creator.id, { tier: "enterprise" }, { Authorization: `Bearer ${s.access_token}` })).status).toBe(403);
    expect((await setPlan(s.creator.id, { tier: "enterprise" }, {})).status).toBe(403);
    for (const body of [{}, { tier: "gold" }, { tier: "pro", overrides: { ai_messages: { day: -1 } } }, { tier: "pro", overrides: { nope: 1 } }, { tier: "pro", extra: true }]) {
      const res = await setPlan(s.creator.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect((await setPlan(crypto.randomUUID(), { tier: "pro" })).status).toBe(404);
    expect((await json(await api("/api/v1/auth/me", { token: s.access_token }))).subscription_tier).toBe("free");
  });
});

describe("plan limits", () => {
  it("a reached AI limit is a 429 naming it, with a notification and a mail at 80 % and at 100 %", async () => {
    const s = await createCreator();
    await setPlan(s.creator.id, { tier: "free", overrides: { ai_messages: { day: 5 } } });
    const ask = () => api("/api/v1/ai/conversations", { method: "POST", token: s.access_token, json: { message: "What is the capital of Mongolia?" } });
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(200);
    const at80 = await captureMail(s.email, async () => expect((await ask()).status).toBe(200));
    expect(at80).toMatch(/4 of 5 .*ai_messages.* per day \(80 %\)/);
    const at100 = await captureMail(s.email, async () => expect((await ask()).status).toBe(200));
    expect(at100).toMatch(/used all 5 .*ai_messages/);
    // The in-app notifications (written before the mail) tell the owner too, once per threshold.
    const inApp = await json(await api("/api/v1/notifications?limit=10", { token: s.access_token }));
    expect(inApp.notifications.map((n: { kind: string }) => n.kind).sort()).toEqual(["quota_near", "quota_reached"]);
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused.headers.get("X-Plan-Limit")).toBe("ai_messages");
    const err = await errorOf(refused);
    expect(err.code).toBe("RATE_LIMIT_EXCEEDED");
    expect(err.message).toMatch(/ai_messages .*5 per day on the free plan/);
    expect(err.details[0]!.field).toBe("ai_messages");
    const d = await json(await api("/api/v1/auth/dashboard", { token: s.access_token }));
    expect(d.usage.ai_messages.day).toEqual({ used: 5, limit: 5, remaining: 0 });
  });

  it("counts exactly under concurrency", async () => {
    const s = await createCreator();
    await setPlan(s.creator.id, { tier: "free", overrides: { ai_calls: { day: 4 } } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "refunds" } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((st) => st === 429)).toHaveLength(6);
    const d = await json(await api("/api/v1/auth/dashboard", { token: s.access_token }));
    expect(d.usage.ai_calls.day.used).toBe(4);
  });

  it("gauges: the knowledge-base and team-member limits refuse the create beyond them", async () => {
    const s = await createCreator();
    await setPlan(s.creator.id, { tier: "free", overrides: { knowledge_bases: 1, team_members: 2 } });
    expect((await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "One" } })).status).toBe(201);
    const second = await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "Two" } });
    expect(second.status).toBe(429);
    expect((await errorOf(second)).message).toMatch(/knowledge_bases \(1 on the free plan\)/);
    await inviteAndAccept(s.access_token, "agent");
    const third = await api("/api/v1/team/members", { method: "POST", token: s.access_token, json: { email: `x-${crypto.randomUUID().slice(0, 6)}@example.com`, full_name: "X", role: "agent" } });
    expect(third.status).toBe(429);
  });

  it("the audience gets the creator's fallback message once the AI limit is reached", async () => {
    const { creator, tab } = await chatSetup();
    await api("/api/v1/creators/profile", { method: "PUT", token: creator.access_token, json: { settings: { fallback_message: "Coach Ana will answer you soon." } } });
    await setPlan(creator.creator.id, { tier: "free", overrides: { ai_messages: { day: 1 } } });
    tab.send({ type: "message", id: "q1", text: "hello there" });
    const first = await tab.aiReply();
    expect(first.text).not.toBe("");
    tab.send({ type: "message", id: "q2", text: "and again" });
    const second = await tab.next((f) => f.type === "message" && f.sender === "ai" && f.id !== first.id, { what: "second ai message" });
    expect(second.text).toBe("Coach Ana will answer you soon.");
    tab.close();
  });
});
