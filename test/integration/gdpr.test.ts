import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eraseCreator } from "../../src/modules/gdpr/service";
import { api, createCreator, errorOf, inviteAndAccept } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";
import { vectorizeStandIn } from "../vectorize-stand-in";

const json = async (res: Response) => (await res.json()) as Record<string, any>;

async function waitFor<T>(fn: () => Promise<T | null | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("GET /api/v1/auth/gdpr/data-export", () => {
  it("returns every row the creator owns, without password or token hashes, and their files", async () => {
    const s = await createCreator();
    await inviteAndAccept(s.access_token, "agent");
    await env.FILES.put(`creators/${s.creator.id}/docs/handbook.txt`, "hello");
    const res = await api("/api/v1/auth/gdpr/data-export", { token: s.access_token });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.creator_id).toBe(s.creator.id);
    expect(body.data.creators).toHaveLength(1);
    expect(body.data.members).toHaveLength(2);
    expect(body.data.sessions.length).toBeGreaterThanOrEqual(2);
    expect(body.files).toEqual([expect.objectContaining({ key: `creators/${s.creator.id}/docs/handbook.txt`, size: 5 })]);
    const text = JSON.stringify(body);
    expect(text).not.toContain("pbkdf2_sha256");
    expect(text).not.toContain("token_hash");
    expect(text).not.toContain("password_hash");
  });

  it("is for owners and admins only", async () => {
    const s = await createCreator();
    const agent = await inviteAndAccept(s.access_token, "agent");
    expect((await api("/api/v1/auth/gdpr/data-export", { token: agent.access_token })).status).toBe(403);
  });
});

describe("POST /api/v1/auth/gdpr/data-deletion", () => {
  it("answers 202, erases the creator's rows and files through the queue, and keeps an audit record without personal data", async () => {
    const s = await createCreator();
    const other = await createCreator();
    await inviteAndAccept(s.access_token, "agent");
    await env.FILES.put(`creators/${s.creator.id}/a.txt`, "a");
    await env.FILES.put(`creators/${s.creator.id}/nested/b.txt`, "b");
    await env.FILES.put(`creators/${other.creator.id}/keep.txt`, "keep");

    const res = await api("/api/v1/auth/gdpr/data-deletion", { method: "POST", token: s.access_token, json: { password: s.password } });
    expect(res.status).toBe(202);
    const { request_id, status } = await json(res);
    expect(status).toBe("pending");
    // Access ends at once, before the erasure runs.
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(401);
    expect((await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } })).status).toBe(401);

    const done = await waitFor(async () => {
      const r = await json(await api(`/api/v1/auth/gdpr/data-deletion/${request_id}`));
      return r.status === "completed" ? r : null;
    });
    expect(done.summary).toMatchObject({ creators: 1, members: 2, r2_objects: 2 });

    for (const table of ["creators", "members", "sessions", "refresh_tokens", "one_time_tokens"]) {
      const col = table === "creators" ? "id" : "creator_id";
      const n = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${col} = ?`).bind(s.creator.id).first<{ n: number }>();
      expect(n!.n, table).toBe(0);
    }
    expect((await env.FILES.list({ prefix: `creators/${s.creator.id}/` })).objects).toHaveLength(0);
    expect(await env.FILES.get(`creators/${other.creator.id}/keep.txt`)).not.toBeNull();
    expect((await api("/api/v1/auth/me", { token: other.access_token })).status).toBe(200);

    const audit = await env.DB.prepare("SELECT * FROM gdpr_requests WHERE id = ?").bind(request_id).first<Record<string, unknown>>();
    expect(audit).toMatchObject({ status: "completed", creator_id: s.creator.id });
    expect(JSON.stringify(audit)).not.toContain(s.email);
  });

  it("with VECTOR_STORE=vectorize, also deletes the creator's vectors (by chunk id) and nobody else's", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "notes.md", "# Notes\n\nRefunds within 30 days.\n\n## Parking\n\nBehind the studio.");
    const chunkIds = (await env.DB.prepare("SELECT id FROM knowledge_chunks WHERE creator_id = ?").bind(s.creator.id).raw<[string]>()).map((r) => r[0]);
    expect(chunkIds.length).toBeGreaterThan(0);
    // The production store, stood in for: the creator's vectors in its namespace, and someone else's.
    const index = vectorizeStandIn();
    const values = [1, 0, 0, 0];
    await index.upsert(chunkIds.map((id) => ({ id, namespace: s.creator.id, values, metadata: { knowledge_base_id: kb.id } })));
    await index.upsert([{ id: crypto.randomUUID(), namespace: other.creator.id, values }]);
    const prodEnv = { ...env, VECTOR_STORE: "vectorize", VECTORIZE: index };

    // A Vectorize outage fails the job before anything is deleted (the queue retries it whole).
    index.failDeletes = true;
    await expect(eraseCreator(prodEnv, s.creator.id, crypto.randomUUID())).rejects.toThrow(/Vectorize unavailable/);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM knowledge_chunks WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(left!.n).toBe(chunkIds.length);

    index.failDeletes = false;
    await eraseCreator(prodEnv, s.creator.id, crypto.randomUUID());
    expect(index.idsIn(s.creator.id)).toEqual([]);
    expect(index.idsIn(other.creator.id)).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM knowledge_chunks WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(rows!.n).toBe(0);
    // A retry after success finds nothing left to delete and doesn't fail.
    await eraseCreator(prodEnv, s.creator.id, crypto.randomUUID());
  });

  it("is idempotent: asking again while it runs returns the same request", async () => {
    const s = await createCreator();
    // Two sessions: the first request revokes every session, so ask twice "at once".
    const [a, b] = await Promise.all([
      api("/api/v1/auth/gdpr/data-deletion", { method: "POST", token: s.access_token, json: { password: s.password } }),
      api("/api/v1/auth/gdpr/data-deletion", { method: "POST", token: s.access_token, json: { password: s.password } }),
    ]);
    const ok = [a, b].filter((r) => r.status === 202);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(await Promise.all(ok.map(async (r) => (await json(r)).request_id)));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    await waitFor(async () => ((await json(await api(`/api/v1/auth/gdpr/data-deletion/${id}`))).status === "completed" ? true : null));
    const n = await env.DB.prepare("SELECT count(*) AS n FROM gdpr_requests WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it("needs the owner's password (422) and the owner role (403), and changes nothing otherwise", async () => {
    const s = await createCreator();
    const admin = await inviteAndAccept(s.access_token, "admin");
    const wrong = await api("/api/v1/auth/gdpr/data-deletion", { method: "POST", token: s.access_token, json: { password: "Not-The-Password-1" } });
    expect(wrong.status).toBe(422);
    expect((await errorOf(wrong)).details[0]!.field).toBe("password");
    const byAdmin = await api("/api/v1/auth/gdpr/data-deletion", { method: "POST", token: admin.access_token, json: { password: "Correct-Horse-Battery-9" } });
    expect(byAdmin.status).toBe(403);
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(200);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM gdpr_requests WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it("reports an unknown request id as 404", async () => {
    expect((await api(`/api/v1/auth/gdpr/data-deletion/${crypto.randomUUID()}`)).status).toBe(404);
  });
});
