// The users API: the creator's audience with filters, engagement score, details and profile updates.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { createEndUser, setClock, userSays } from "../support/engine";

const json = async (res: Response) => (await res.json()) as Record<string, any>;
afterEach(() => setClock(null));
// Multi-day runs are dozens of ticks; on a loaded machine they need more than the default 5 s.
vi.setConfig({ testTimeout: 30_000 });

describe("GET /api/v1/users", () => {
  it("filters by channel, activity and text, and sorts by the computed engagement score", async () => {
    setClock("2026-03-10T12:00:00Z");
    const owner = await createCreator();
    const cid = owner.creator.id;
    const busy = await createEndUser({ creatorId: cid, name: "Busy Bee", channel: "telegram" });
    const quiet = await createEndUser({ creatorId: cid, name: "Quiet Quail", channel: "widget" });
    const gone = await createEndUser({ creatorId: cid, name: "Gone Goose", channel: "whatsapp", lastActiveAt: "2025-12-01T00:00:00Z" });
    for (let i = 0; i < 20; i++) await userSays(cid, busy, `hi ${i}`, `2026-03-0${1 + (i % 9)}T10:00:00.000Z`);
    await userSays(cid, busy, "latest", "2026-03-10T11:00:00.000Z");
    await userSays(cid, quiet, "once", "2026-02-25T12:00:00.000Z");

    const all = await json(await api("/api/v1/users?sort=engagement_score&order=desc", { token: owner.access_token }));
    expect(all.pagination).toEqual({ page: 1, limit: 20, total: 3, pages: 1 });
    expect(all.users.map((u: any) => u.id)).toEqual([busy, quiet, gone]);
    const [b, q, g] = all.users;
    // 20+ messages in 30 days (0.6) + active an hour ago (0.4 × (1 − 1/720 d))
    expect(b.engagement_score).toBe(1);
    // 1 message (0.6 × 1/20 = 0.03) + 13 days ago (0.4 × 17/30 = 0.2267) → 0.26
    expect(q.engagement_score).toBe(0.26);
    expect(g.engagement_score).toBe(0);
    expect(b).toMatchObject({ channel: "telegram", is_active: true, total_interactions: 21, profile_data: { name: "Busy Bee" }, program_enrollments: 0 });
    expect(g.is_active).toBe(false);

    const tg = await json(await api("/api/v1/users?channel=telegram", { token: owner.access_token }));
    expect(tg.users.map((u: any) => u.id)).toEqual([busy]);
    const web = await json(await api("/api/v1/users?channel=web", { token: owner.access_token }));
    expect(web.users.map((u: any) => u.id)).toEqual([quiet]);
    // Responses say "web" (the spec's name); "widget" stays accepted as a filter alias.
    expect(web.users[0].channel).toBe("web");
    const alias = await json(await api("/api/v1/users?channel=widget", { token: owner.access_token }));
    expect(alias.users.map((u: any) => [u.id, u.channel])).toEqual([[quiet, "web"]]);
    const inactive = await json(await api("/api/v1/users?status=inactive", { token: owner.access_token }));
    expect(inactive.users.map((u: any) => u.id)).toEqual([gone]);
    const search = await json(await api("/api/v1/users?search=quail", { token: owner.access_token }));
    expect(search.users.map((u: any) => u.id)).toEqual([quiet]);
    const page2 = await json(await api("/api/v1/users?sort=engagement_score&order=asc&limit=2&page=2", { token: owner.access_token }));
    expect(page2.users.map((u: any) => u.id)).toEqual([busy]);
    expect(page2.pagination).toEqual({ page: 2, limit: 2, total: 3, pages: 2 });
  });

  it("rejects bad query parameters with one detail per field", async () => {
    const owner = await createCreator();
    const res = await api("/api/v1/users?sort=name&order=up&limit=1000&channel=fax", { token: owner.access_token });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field).sort()).toEqual(["channel", "limit", "order", "sort"]);
  });

  it("needs a token", async () => {
    expect((await api("/api/v1/users")).status).toBe(401);
  });
});

describe("GET/PUT /api/v1/users/{user_id}", () => {
  it("shows profile, timezone, language, recent interactions; PUT replaces the profile and validates timezone and language", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    const id = await createEndUser({ creatorId: cid, name: "Ana", profile: { goals: ["sleep"] } });
    await userSays(cid, id, "hello", "2026-03-01T10:00:00.000Z");
    const got = await json(await api(`/api/v1/users/${id}`, { token: owner.access_token }));
    expect(got).toMatchObject({ id, timezone: null, language: null, profile_data: { name: "Ana", goals: ["sleep"] }, badges_earned: [], program_enrollments: [] });
    expect(got.recent_interactions).toHaveLength(1);
    expect(got).toMatchObject({ channel: "web" });
    expect(got.recent_interactions[0]).toMatchObject({ interaction_type: "message_sent", channel: "web" });

    const put = await api(`/api/v1/users/${id}`, {
      method: "PUT",
      token: owner.access_token,
      json: { profile_data: { name: "Ana Lima", goals: ["run"], preferences: { frequency: "daily" } }, timezone: "America/New_York", language: "pt-BR", tags: ["vip", "vip"] },
    });
    expect(put.status).toBe(200);
    const updated = await json(put);
    expect(updated).toMatchObject({ timezone: "America/New_York", language: "pt-BR", tags: ["vip"], profile_data: { name: "Ana Lima", goals: ["run"], preferences: { frequency: "daily" } } });

    const bad = await api(`/api/v1/users/${id}`, { method: "PUT", token: owner.access_token, json: { timezone: "Mars/Olympus", language: "english!", creator_id: "x" } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details.map((d) => d.field).sort()).toEqual(["body", "language", "timezone"].sort());
    const unchanged = await json(await api(`/api/v1/users/${id}`, { token: owner.access_token }));
    expect(unchanged.timezone).toBe("America/New_York");
  });

  it("404 for an unknown user and 422 for a malformed id", async () => {
    const owner = await createCreator();
    expect((await api(`/api/v1/users/${crypto.randomUUID()}`, { token: owner.access_token })).status).toBe(404);
    expect((await api(`/api/v1/users/not-a-uuid`, { token: owner.access_token })).status).toBe(422);
  });
});
