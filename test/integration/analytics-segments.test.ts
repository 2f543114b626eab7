// GET /api/v1/analytics/detailed?segment=program|user_type: counters per audience segment, from the
// segment rollups written in the mirror's batch (never a scan of the messages), retried flushes,
// ratings and new users counted in them too, tenancy.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { batchStatements } from "../../durable-objects/mirror-writer";
import { recordUserCreated } from "../../src/modules/analytics";
import { conversationStub } from "../../src/realtime";
import type { StoredMessage } from "../../src/realtime/log";
import { api, conversationState, createCreator, errorOf, type Session } from "../helpers";
import { edge, node } from "../support/flows";
import { connect, openSession, widgetKeyOf } from "../realtime";

type Json = Record<string, any>;

async function get(path: string, token: string): Promise<{ status: number; body: Json; rowsRead: number }> {
  const res = await api(path, { token });
  return { status: res.status, body: (await res.json()) as Json, rowsRead: Number(res.headers.get("X-D1-Rows-Read") ?? -1) };
}

/** A published program that keeps its enrolment running for a week (start → wait 7 days → end). */
async function longProgram(owner: Session, name: string): Promise<string> {
  const flow = { nodes: [node("start", "start"), node("wait", "wait", { days: 7 }), node("end", "end")], edges: [edge("start", "wait"), edge("wait", "end")] };
  const created = (await (await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name, flow_definition: flow } })).json()) as Json;
  const pub = await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token });
  expect(pub.status, JSON.stringify(await pub.clone().json())).toBe(200);
  return created.id as string;
}

/** One question answered by the AI in the session's conversation, mirrored to D1. */
async function askOnce(session: { conversation_id: string; websocket_url: string; token: string }, id: string, text: string) {
  const tab = await connect(session.websocket_url, session.token);
  await tab.say(id, text);
  await tab.aiReply();
  await conversationStub(env, session.conversation_id).flushOutbox();
  tab.close();
}

describe("GET /api/v1/analytics/detailed?segment=program|user_type", () => {
  it("splits a visitor's first conversation (new, no program) from their next one (returning, in the program)", async () => {
    const owner = await createCreator();
    const token = owner.access_token;
    const widgetKey = await widgetKeyOf(token);
    const first = await openSession(widgetKey);
    await askOnce(first, "q1", "How do I start running?");
    const { end_user_id: userId } = (await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(first.conversation_id).first<{ end_user_id: string }>())!;

    const programId = await longProgram(owner, "Couch to 5K");
    const enrolled = await api(`/api/v1/users/${userId}/programs/${programId}/enroll`, { method: "POST", token });
    expect(enrolled.status).toBe(201);
    // The same visitor comes back in a new session: a second conversation of the same end user.
    const second = await openSession(widgetKey, { visitor_id: first.visitor_id, visitor_secret: first.visitor_secret });
    expect(second.conversation_id).not.toBe(first.conversation_id);
    await askOnce(second, "q2", "How often per week should I run?");
    const rated = await api(`/api/v1/conversations/${second.conversation_id}/rating`, { method: "POST", token, json: { score: 4 } });
    expect(rated.status).toBe(201);

    const byType = await get("/api/v1/analytics/detailed?metric=interactions&segment=user_type", token);
    expect(byType.status).toBe(200);
    expect(byType.body.segment).toBe("user_type");
    // One question and one AI answer in each conversation.
    expect(byType.body.totals).toMatchObject({ total_value: 4, segments: { new: 2, returning: 2 } });
    expect(byType.body.segment_labels).toEqual({ new: "New users (first conversation)", returning: "Returning users" });
    const today = byType.body.data.find((d: Json) => d.value === 4);
    expect(today.segments).toEqual({ new: 2, returning: 2 });
    expect(byType.body.data.filter((d: Json) => d.value === 0).every((d: Json) => Object.keys(d.segments).length === 0)).toBe(true);

    const byProgram = await get("/api/v1/analytics/detailed?metric=interactions&segment=program&granularity=week", token);
    expect(byProgram.status).toBe(200);
    expect(byProgram.body.totals.segments).toEqual({ none: 2, [programId]: 2 });
    expect(byProgram.body.segment_labels).toEqual({ none: "No program", [programId]: "Couch to 5K" });

    const conversations = await get("/api/v1/analytics/detailed?metric=conversations&segment=program&granularity=hour", token);
    expect(conversations.body.totals.segments).toEqual({ none: 1, [programId]: 1 });
    // The visitor was created once, new and without a program.
    const users = await get("/api/v1/analytics/detailed?metric=users&segment=user_type", token);
    expect(users.body.totals.segments).toEqual({ new: 1, returning: 0 });
    // The rating of the second conversation belongs to its segments.
    const csat = await get("/api/v1/analytics/detailed?metric=satisfaction&segment=user_type", token);
    expect(csat.body.totals).toMatchObject({ total_value: 4, segments: { new: null, returning: 4 } });
    const csatProgram = await get("/api/v1/analytics/detailed?metric=satisfaction&segment=program", token);
    expect(csatProgram.body.totals.segments[programId]).toBe(4);

    // Read from rollups: a month of day buckets per segment, not the messages.
    expect(byType.rowsRead).toBeGreaterThan(0);
    expect(byType.rowsRead).toBeLessThan(40);
  });

  it("a retried flush counts nothing twice in the segments either", async () => {
    const owner = await createCreator();
    const creatorId = owner.creator.id;
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
    for (const [metric, expected] of [["interactions", 2], ["unanswered", 1], ["escalations", 1], ["conversations", 1], ["users", 1]] as const) {
      const r = await get(`/api/v1/analytics/detailed?metric=${metric}&segment=user_type`, owner.access_token);
      expect(r.body.totals.segments, metric).toEqual({ new: expected });
      const p = await get(`/api/v1/analytics/detailed?metric=${metric}&segment=program`, owner.access_token);
      expect(p.body.totals.segments, metric).toEqual({ none: expected });
    }
  });

  it("another creator's segments are not counted, and an unknown segment is a 422", async () => {
    const owner = await createCreator();
    const session = await openSession(await widgetKeyOf(owner.access_token));
    await askOnce(session, "q1", "Hello there, how do I start?");
    const other = await createCreator();
    const r = await get("/api/v1/analytics/detailed?metric=interactions&segment=program", other.access_token);
    expect(r.status).toBe(200);
    expect(r.body.totals).toMatchObject({ total_value: 0, segments: {} });
    expect(r.body.segment_labels).toEqual({});
    for (const segment of ["planet", "Program", "program_id"]) {
      const res = await api(`/api/v1/analytics/detailed?metric=users&segment=${segment}`, { token: owner.access_token });
      expect(res.status, segment).toBe(422);
      expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
    }
  });
});
