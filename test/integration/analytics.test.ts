// Analytics from rollups: what a real widget conversation writes through the mirror, the overview,
// dashboard metrics, detailed series and support dashboard built on it, retried flushes, bad input, tenancy.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { batchStatements } from "../../durable-objects/mirror-writer";
import { recordUserCreated } from "../../src/modules/analytics";
import { conversationStub } from "../../src/realtime";
import type { StoredMessage } from "../../src/realtime/log";
import { api, conversationState, createCreator, errorOf } from "../helpers";
import { chatSetup, connect, createAgent } from "../realtime";

type Json = Record<string, any>;

async function get(path: string, token: string): Promise<{ status: number; body: Json; rowsRead: number }> {
  const res = await api(path, { token });
  return { status: res.status, body: (await res.json()) as Json, rowsRead: Number(res.headers.get("X-D1-Rows-Read") ?? -1) };
}

/** A widget conversation: two answered questions, a handover, an agent reply, resolved. */
async function conversationWithHandover() {
  const setup = await chatSetup();
  const { creator, session, tab } = setup;
  const cid = session.conversation_id;
  await tab.say("q1", "How do I start running?");
  await tab.aiReply();
  await tab.say("q2", "And how often per week?");
  await tab.aiReply();
  tab.send({ type: "handover_request" });
  await tab.next("handover_initiated");
  await conversationStub(env, cid).flushOutbox();
  const agent = await createAgent(creator.access_token, "Jane Smith");
  const desk = await connect(`/api/v1/conversations/${cid}/connect`, agent.access_token);
  await tab.next("agent_joined");
  await desk.say("a1", "Hi, Jane here. Three times a week is a good start.");
  await conversationStub(env, cid).flushOutbox();
  const done = await api(`/api/v1/conversations/${cid}/complete`, { method: "POST", token: creator.access_token });
  expect(done.status).toBe(200);
  await conversationStub(env, cid).flushOutbox();
  tab.close();
  desk.close();
  return { ...setup, agent, cid };
}

describe("analytics rollups from the message mirror", () => {
  it("the overview, dashboard metrics and support dashboard count exactly what one conversation did", async () => {
    const { creator } = await conversationWithHandover();
    const token = creator.access_token;

    const overview = await get("/api/v1/analytics/overview?period=7d", token);
    expect(overview.status).toBe(200);
    expect(overview.body.period).toBe("7d");
    expect(overview.body.summary).toMatchObject({
      total_users: 1,
      new_users: 1,
      active_users: 1,
      total_conversations: 1,
      // 2 questions + 2 AI answers + 1 agent reply (system notices are not interactions).
      total_interactions: 5,
      ai_interactions: 2,
      human_escalations: 1,
      average_engagement_score: 1,
      program_completions: 0,
      user_satisfaction_score: null,
    });
    expect(overview.body.summary.average_response_time_seconds).toBeGreaterThanOrEqual(0);
    // Nothing in the period before: growth has no base.
    expect(overview.body.trends.user_growth_rate).toBeNull();
    expect(overview.body.trends.engagement_trend).toBeNull();

    const metrics = await get("/api/v1/creators/dashboard/metrics", token);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatchObject({
      users: { total: 1, active: 1, new: 1 },
      conversations: { total: 1, handovers: 1, resolved: 1, resolved_by_ai: 0 },
      messages: { total: 5, from_users: 2, ai_answers: 2, agent_replies: 1 },
      engagement_rate: 1,
    });

    const support = await get("/api/admin/analytics/dashboard", token);
    expect(support.status).toBe(200);
    expect(support.body.overview).toMatchObject({ totalConversations: 1, aiResolved: 0, resolved: 1, agentHandovers: 1, avgSatisfactionScore: null });
    expect(support.body.overview.avgFirstHumanReplyTime).toBeGreaterThanOrEqual(0);
    expect(support.body.overview.avgResolutionTime).toBeGreaterThanOrEqual(0);
    // The widget is the `web` channel.
    expect(support.body.byChannel).toEqual({ web: { conversations: 1, aiResolved: 0, agentHandovers: 1, avgSatisfactionScore: null } });
    expect(support.body.byDay).toHaveLength(30);
    expect(support.body.byDay.reduce((a: number, d: Json) => a + d.agentHandovers, 0)).toBe(1);
    // A handful of rollup rows, not the messages.
    expect(support.rowsRead).toBeGreaterThan(0);
    expect(support.rowsRead).toBeLessThan(50);
  });

  it("detailed series by hour, day and week add up, split by channel", async () => {
    const { creator } = await conversationWithHandover();
    for (const granularity of ["hour", "day", "week", "month"]) {
      const r = await get(`/api/v1/analytics/detailed?metric=interactions&granularity=${granularity}&segment=channel`, creator.access_token);
      expect(r.status).toBe(200);
      expect(r.body.granularity).toBe(granularity);
      expect(r.body.data.reduce((a: number, d: Json) => a + d.value, 0)).toBe(5);
      expect(r.body.totals).toMatchObject({ total_value: 5, peak_value: 5, segments: { web: 5 } });
      expect(r.body.data.find((d: Json) => d.value === 5).segments).toEqual({ web: 5 });
    }
    const hourly = await get("/api/v1/analytics/detailed?metric=conversations&granularity=hour", creator.access_token);
    expect(hourly.body.data).toHaveLength(48);
    expect(hourly.body.data[0]).not.toHaveProperty("segments");
    const ratio = await get("/api/v1/analytics/detailed?metric=response_time", creator.access_token);
    expect(ratio.body.totals.total_value).toBeGreaterThanOrEqual(0);
    expect(ratio.body.data.filter((d: Json) => d.value !== null)).toHaveLength(1);
  });

  it("a retried flush (the first answer lost) counts nothing twice", async () => {
    const creator = await createCreator();
    const creatorId = creator.creator.id;
    const conversationId = crypto.randomUUID();
    const endUserId = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO end_users (id, creator_id, channel, external_id) VALUES (?, ?, 'telegram', ?)").bind(endUserId, creatorId, `tg-${endUserId}`),
      env.DB.prepare("INSERT INTO conversations (id, creator_id, end_user_id, channel) VALUES (?, ?, ?, 'telegram')").bind(conversationId, creatorId, endUserId),
    ]);
    const at = new Date().toISOString();
    const rows: StoredMessage[] = [
      { id: crypto.randomUUID(), seq: 1, sender: "user", text: "hello", createdAt: at },
      { id: crypto.randomUUID(), seq: 2, sender: "ai", text: "hi", createdAt: at, sources: [] },
    ];
    const state = conversationState({ conversationId, creatorId, endUserId, channel: "telegram", status: "waiting_human", handover: "waiting" });
    for (let i = 0; i < 2; i++) {
      await env.DB.batch(batchStatements(env, [{ state, rows, presence: null }]).statements);
      await recordUserCreated(env, { creatorId, endUserId });
    }
    const r = await get("/api/v1/analytics/overview?period=7d", creator.access_token);
    expect(r.body.summary).toMatchObject({ total_users: 1, new_users: 1, total_conversations: 1, total_interactions: 2, ai_interactions: 1, human_escalations: 1 });
    const d = await get("/api/v1/analytics/detailed?metric=unanswered&segment=channel", creator.access_token);
    expect(d.body.totals).toMatchObject({ total_value: 1, segments: { telegram: 1 } });
    const events = await env.DB.prepare("SELECT type, count(*) AS n FROM activity_events WHERE creator_id = ? GROUP BY type ORDER BY type").bind(creatorId).all();
    expect(events.results).toEqual([
      { type: "conversation.created", n: 1 },
      { type: "conversation.status_changed", n: 1 },
      { type: "escalation.created", n: 1 },
      { type: "message.received", n: 1 },
      { type: "message.sent", n: 1 },
      { type: "user.created", n: 1 },
    ]);
  });

  it("another creator's activity is not counted", async () => {
    await conversationWithHandover();
    const other = await createCreator();
    const r = await get("/api/v1/analytics/overview?period=90d", other.access_token);
    expect(r.status).toBe(200);
    expect(r.body.summary).toMatchObject({ total_users: 0, total_conversations: 0, total_interactions: 0, human_escalations: 0, average_engagement_score: null });
    const s = await get("/api/admin/analytics/dashboard", other.access_token);
    expect(s.body.byChannel).toEqual({});
  });

  it("refuses bad input with a 422 in the standard format, and anonymous callers with 401", async () => {
    const { access_token: token } = await createCreator();
    const bad = [
      "/api/v1/analytics/overview?period=2d",
      "/api/v1/analytics/detailed",
      "/api/v1/analytics/detailed?metric=bogus",
      "/api/v1/analytics/detailed?metric=users&granularity=year",
      "/api/v1/analytics/detailed?metric=users&segment=planet",
      "/api/v1/analytics/detailed?metric=users&start_date=2026-13-01",
      "/api/v1/analytics/detailed?metric=users&start_date=2026-03-10&end_date=2026-03-01",
      "/api/v1/analytics/detailed?metric=users&granularity=hour&start_date=2026-01-01&end_date=2026-06-01",
      "/api/admin/analytics/dashboard?startDate=yesterday",
    ];
    for (const path of bad) {
      const res = await api(path, { token });
      expect(res.status, path).toBe(422);
      expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
    }
    for (const path of ["/api/v1/analytics/overview", "/api/v1/creators/dashboard/metrics", "/api/admin/analytics/dashboard", "/api/v1/analytics/detailed?metric=users"]) {
      expect((await api(path)).status, path).toBe(401);
    }
  });
});
