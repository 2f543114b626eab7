// Satisfaction ratings: the widget's `rating` frame and POST /api/v1/conversations/{id}/rating feed
// CSAT in the overview and the support dashboard, announce rating.received, and a low one notifies.
import { describe, expect, it } from "vitest";
import { eventually } from "../channel-helpers";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup, connect, createAgent, openSession, widgetKeyOf } from "../realtime";

type Json = Record<string, any>;

describe("satisfaction ratings", () => {
  it("the visitor rates with the widget frame; a member records one by REST; CSAT averages them", { timeout: 30_000 }, async () => {
    const { creator, session, tab } = await chatSetup();
    const token = creator.access_token;
    tab.send({ type: "rating", score: 5, comment: "Very helpful" });
    expect(await tab.next("rating_recorded")).toMatchObject({ score: 5 });
    // One rating per conversation.
    tab.send({ type: "rating", score: 1 });
    expect(await tab.next("error")).toMatchObject({ code: "CONFLICT" });
    tab.send({ type: "rating", score: 9 });
    expect(await tab.next("error")).toMatchObject({ code: "VALIDATION_ERROR" });

    const other = await openSession(await widgetKeyOf(token));
    const res = await api(`/api/v1/conversations/${other.conversation_id}/rating`, { method: "POST", token, json: { score: 2, comment: "Slow" } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ conversation_id: other.conversation_id, channel: "web", score: 2, comment: "Slow", source: "member" });

    const overview = (await (await api("/api/v1/analytics/overview?period=7d", { token })).json()) as Json;
    expect(overview.summary.user_satisfaction_score).toBe(3.5);
    const support = (await (await api("/api/admin/analytics/dashboard", { token })).json()) as Json;
    expect(support.overview).toMatchObject({ avgSatisfactionScore: 3.5, ratings: 2 });
    expect(support.byChannel.web.avgSatisfactionScore).toBe(3.5);
    // The low rating (2) notified the team; the 5 did not.
    const notes = await eventually(async () => {
      const n = (await (await api("/api/v1/notifications", { token })).json()) as { notifications: Json[] };
      return n.notifications.some((x) => x.kind === "low_rating") && n;
    }, "low rating notification");
    expect(notes.notifications.filter((x) => x.kind === "low_rating")).toEqual([expect.objectContaining({ data: { conversation_id: other.conversation_id, score: 2 } })]);
    expect(session.conversation_id).not.toBe(other.conversation_id);
    tab.close();
  });

  it("refuses bad scores (422), a second rating (409), other creators' conversations (404), anonymous callers (401)", async () => {
    const owner = await createCreator();
    const s = await openSession(await widgetKeyOf(owner.access_token));
    const path = `/api/v1/conversations/${s.conversation_id}/rating`;
    for (const json of [{}, { score: 0 }, { score: 6 }, { score: 2.5 }, { score: "5" }, { score: 4, comment: "x".repeat(1001) }, { score: 4, extra: 1 }]) {
      const res = await api(path, { method: "POST", token: owner.access_token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
    }
    const other = await createCreator();
    expect((await api(path, { method: "POST", token: other.access_token, json: { score: 4 } })).status).toBe(404);
    expect((await api(path, { method: "POST", json: { score: 4 } })).status).toBe(401);
    expect((await api(path, { method: "POST", token: owner.access_token, json: { score: 4 } })).status).toBe(201);
    expect((await api(path, { method: "POST", token: owner.access_token, json: { score: 3 } })).status).toBe(409);
    expect((await api(`/api/v1/conversations/not-a-uuid/rating`, { method: "POST", token: owner.access_token, json: { score: 3 } })).status).toBe(422);
  });

  it("an agent's socket can't rate", { timeout: 30_000 }, async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const desk = await connect(`/api/v1/conversations/${session.conversation_id}/connect`, agent.access_token);
    desk.send({ type: "rating", score: 4 });
    expect(await desk.next("error")).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });
    desk.close();
    tab.close();
  });
});
