// Plans (issue 15): the operator's overrides live in D1 (the meter only caches them), and gauges are
// reserved, not only checked — concurrent creates at limit−1 let exactly one through, and a create
// that fails gives its slot (or its counted limit) back.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, uploadForm } from "../knowledge-helpers";

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const OPERATOR = { Authorization: `Bearer ${env.OPERATOR_API_KEY}`, "Content-Type": "application/json" };

function setPlan(creatorId: string, body: unknown) {
  return api(`/api/v1/operator/creators/${creatorId}/plan`, { method: "PUT", headers: OPERATOR, body: JSON.stringify(body) });
}
const meterOf = (creatorId: string) => env.USAGE.get(env.USAGE.idFromName(creatorId));
const createKbRaw = (token: string, name: string) => api("/api/v1/knowledge-bases", { method: "POST", token, json: { name } });
const invite = (token: string) =>
  api("/api/v1/team/members", { method: "POST", token, json: { email: `m-${crypto.randomUUID().slice(0, 8)}@example.com`, full_name: "New Agent", role: "agent" } });
/** A multipart upload with a fixed length (Content-Length is what the storage reservation holds). */
async function uploadFixed(token: string, kbId: string, bytes: number) {
  const res = new Response(uploadForm(`f-${crypto.randomUUID().slice(0, 6)}.txt`, "x".repeat(bytes), {}, "text/plain"));
  const body = await res.arrayBuffer();
  return api(`/api/v1/knowledge-bases/${kbId}/documents`, { method: "POST", token, headers: { "Content-Type": res.headers.get("Content-Type")! }, body });
}
const dashboard = async (token: string) => json(await api("/api/v1/auth/dashboard", { token }));

describe("plan overrides live in D1", () => {
  it("PUT …/plan stores tier and overrides on the creator row; the meter holds no copy and enforces what D1 says; the GDPR export has them", async () => {
    const s = await createCreator();
    expect((await setPlan(s.creator.id, { tier: "pro", overrides: { knowledge_bases: 1, ai_calls: { day: 9 } } })).status).toBe(200);
    const row = await env.DB.prepare("SELECT subscription_tier, plan_overrides FROM creators WHERE id = ?").bind(s.creator.id).first<{ subscription_tier: string; plan_overrides: string }>();
    expect(row!.subscription_tier).toBe("pro");
    expect(JSON.parse(row!.plan_overrides)).toEqual({ knowledge_bases: 1, ai_calls: { day: 9 } });
    // D1 is the truth: changed there (and the object's cache gone, as after an eviction), the next request obeys it.
    await env.DB.prepare("UPDATE creators SET plan_overrides = ? WHERE id = ?").bind(JSON.stringify({ knowledge_bases: 2 }), s.creator.id).run();
    await runInDurableObject(meterOf(s.creator.id), (o) => void ((o as unknown as { cached: unknown }).cached = null));
    expect((await createKbRaw(s.access_token, "One")).status).toBe(201);
    expect((await createKbRaw(s.access_token, "Two")).status).toBe(201);
    expect((await createKbRaw(s.access_token, "Three")).status).toBe(429);
    expect((await dashboard(s.access_token)).overrides).toEqual({ knowledge_bases: 2 });
    // The object keeps counters, notices and reservations only — no overrides of its own.
    const tables = await runInDurableObject(meterOf(s.creator.id), (_o, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").toArray().map((r) => r.name),
    );
    expect(tables.sort()).toEqual(["counters", "notices", "reservations"]);
    const exported = await json(await api("/api/v1/auth/gdpr/data-export", { token: s.access_token }));
    expect(JSON.stringify(exported)).toContain("plan_overrides");
    // Omitted overrides keep the stored ones; {} clears them.
    expect((await json(await setPlan(s.creator.id, { tier: "free" }))).overrides).toEqual({ knowledge_bases: 2 });
    expect((await json(await setPlan(s.creator.id, { tier: "free", overrides: {} }))).overrides).toEqual({});
    expect((await env.DB.prepare("SELECT plan_overrides FROM creators WHERE id = ?").bind(s.creator.id).first<{ plan_overrides: string | null }>())!.plan_overrides).toBeNull();
  });
});

describe("gauges are reserved", () => {
  it("knowledge bases: three concurrent creates at limit−1 — exactly one succeeds, the others are 429 naming the limit", async () => {
    const s = await createCreator();
    await setPlan(s.creator.id, { tier: "free", overrides: { knowledge_bases: 2 } });
    await createKb(s.access_token, { name: "First" });
    const results = await Promise.all([1, 2, 3].map((i) => createKbRaw(s.access_token, `Racer ${i}`)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 429, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.headers.get("X-Plan-Limit")).toBe("knowledge_bases");
    expect((await errorOf(refused)).code).toBe("RATE_LIMIT_EXCEEDED");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM knowledge_bases WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>())!.n).toBe(2);
  });

  it("team members: two concurrent invitations at limit−1 — exactly one succeeds", async () => {
    const s = await createCreator();
    await setPlan(s.creator.id, { tier: "free", overrides: { team_members: 2 } });
    const results = await Promise.all([invite(s.access_token), invite(s.access_token)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 429]);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM members WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>())!.n).toBe(2);
  });

  it("storage: two concurrent uploads that each fit but not both — exactly one is accepted", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await setPlan(s.creator.id, { tier: "free", overrides: { storage_bytes: 3000 } });
    const results = await Promise.all([uploadFixed(s.access_token, kb.id, 2000), uploadFixed(s.access_token, kb.id, 2000)]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 429]);
    expect((await errorOf(results.find((r) => r.status === 429)!)).message).toMatch(/storage_bytes/);
  });

  it("uploads and tasks: concurrent requests at limit−1 — exactly one is counted", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await setPlan(s.creator.id, { tier: "free", overrides: { uploads: { day: 1 }, tasks: { day: 1 } } });
    const ups = await Promise.all([uploadFixed(s.access_token, kb.id, 100), uploadFixed(s.access_token, kb.id, 100)]);
    expect(ups.map((r) => r.status).sort()).toEqual([202, 429]);
    const task = () => api("/api/v1/tasks/research", { method: "POST", token: s.access_token, json: { topic: "rest days" } });
    const tasks = await Promise.all([task(), task()]);
    expect(tasks.map((r) => r.status).sort()).toEqual([202, 429]);
    const d = await dashboard(s.access_token);
    expect(d.usage.uploads.day.used).toBe(1);
    expect(d.usage.tasks.day.used).toBe(1);
  });

  it("a failed create releases its reservation and gives back its counted limit", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await setPlan(s.creator.id, { tier: "free", overrides: { knowledge_bases: 2, uploads: { day: 1 }, tasks: { day: 1 } } });
    // A create refused by validation (422) at limit−1 …
    for (let i = 0; i < 3; i++) expect((await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "" } })).status).toBe(422);
    // … leaves the last slot free.
    expect((await createKbRaw(s.access_token, "Second")).status).toBe(201);
    // An upload of a type the extractor refuses, and a task on another creator's (or no) conversation, cost nothing.
    const bad = await api(`/api/v1/knowledge-bases/${kb.id}/documents`, { method: "POST", token: s.access_token, body: uploadForm("virus.exe", "MZ") });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const badTask = await api("/api/v1/tasks/analyze", { method: "POST", token: s.access_token, json: { conversation_ids: [crypto.randomUUID()], question: "refunds?" } });
    expect(badTask.status).toBe(404);
    let d = await dashboard(s.access_token);
    expect(d.usage.uploads.day.used).toBe(0);
    expect(d.usage.tasks.day.used).toBe(0);
    expect((await uploadFixed(s.access_token, kb.id, 100)).status).toBe(202);
    expect((await api("/api/v1/tasks/research", { method: "POST", token: s.access_token, json: { topic: "rest days" } })).status).toBe(202);
    d = await dashboard(s.access_token);
    expect(d.usage.uploads.day.used).toBe(1);
    expect(d.usage.tasks.day.used).toBe(1);
    // No reservation is left behind.
    const held = await runInDurableObject(meterOf(s.creator.id), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations").one().n);
    expect(held).toBe(0);
  });
});
