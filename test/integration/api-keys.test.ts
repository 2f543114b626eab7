import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf, inviteAndAccept } from "../helpers";

const json = async (res: Response) => (await res.json()) as Record<string, any>;

async function createKey(token: string, body: Record<string, unknown>) {
  const res = await api("/api/v1/api-keys", { method: "POST", token, json: body });
  expect(res.status).toBe(201);
  return json(res);
}

const withKey = (path: string, key: string, init: RequestInit & { json?: unknown } = {}) =>
  api(path, { ...init, headers: { ...(init.headers as Record<string, string>), "X-API-Key": key } });

describe("POST /api/v1/api-keys", () => {
  it("returns the key once; only its prefix and a hash are stored", async () => {
    const owner = await createCreator();
    const created = await createKey(owner.access_token, { name: "CRM sync", scopes: ["read", "conversations"] });
    expect(created.key).toMatch(/^ek_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created).toMatchObject({ name: "CRM sync", scopes: ["read", "conversations"], expires_at: null, revoked_at: null });

    const list = await json(await api("/api/v1/api-keys", { token: owner.access_token }));
    expect(list.total).toBe(1);
    expect(list.api_keys[0]).toMatchObject({ id: created.id, prefix: created.prefix, last_used_at: null });
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(JSON.stringify(list)).not.toMatch(/hash/i);
    const stored = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE id = ?").bind(created.id).first<{ key_hash: string }>();
    expect(stored!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.key_hash).not.toContain(created.key);
  });

  it("rejects bad input with 422 and stores nothing", async () => {
    const owner = await createCreator();
    for (const body of [
      {},
      { name: "", scopes: ["read"] },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["admin"] },
      { name: "x", scopes: ["read"], expires_at: "tomorrow" },
      { name: "x", scopes: ["read"], expires_at: "2001-01-01T00:00:00Z" },
      { name: "x", scopes: ["read"], creator_id: crypto.randomUUID() },
    ]) {
      const res = await api("/api/v1/api-keys", { method: "POST", token: owner.access_token, json: body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
    }
    expect((await json(await api("/api/v1/api-keys", { token: owner.access_token }))).total).toBe(0);
  });

  it("needs the admin permission: an agent, an anonymous caller and a key itself are refused", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    expect((await api("/api/v1/api-keys", { method: "POST", token: agent.access_token, json: { name: "x", scopes: ["read"] } })).status).toBe(403);
    expect((await api("/api/v1/api-keys")).status).toBe(401);
    const key = (await createKey(owner.access_token, { name: "all", scopes: ["read", "write", "conversations", "knowledge", "analytics"] })).key;
    expect((await withKey("/api/v1/api-keys", key)).status).toBe(403);
    expect((await withKey("/api/v1/api-keys", key, { method: "POST", json: { name: "y", scopes: ["read"] } })).status).toBe(403);
  });
});

describe("X-API-Key authentication", () => {
  it("acts for the creator with the key's scopes and counts against the creator's quota", async () => {
    const owner = await createCreator();
    const read = (await createKey(owner.access_token, { name: "reader", scopes: ["read"] })).key;
    const kb = (await createKey(owner.access_token, { name: "ingest", scopes: ["knowledge"] })).key;

    const listed = await withKey("/api/v1/knowledge-bases", read);
    expect(listed.status).toBe(200);
    expect(listed.headers.get("X-RateLimit-Limit")).toBeTruthy();
    // read does not write
    expect((await withKey("/api/v1/knowledge-bases", read, { method: "POST", json: { name: "Docs" } })).status).toBe(403);
    // knowledge writes knowledge, and nothing else
    const made = await withKey("/api/v1/knowledge-bases", kb, { method: "POST", json: { name: "Docs" } });
    expect(made.status).toBe(201);
    const kbId = (await json(made)).id;
    const mine = await json(await api(`/api/v1/knowledge-bases/${kbId}`, { token: owner.access_token }));
    expect(mine.name).toBe("Docs");
    expect((await withKey("/api/v1/team/members", kb)).status).toBe(403);
  });

  it("updates last used off the request path", async () => {
    const owner = await createCreator();
    const created = await createKey(owner.access_token, { name: "reader", scopes: ["read"] });
    expect((await withKey("/api/v1/knowledge-bases", created.key)).status).toBe(200);
    await vi.waitFor(async () => {
      const list = await json(await api("/api/v1/api-keys", { token: owner.access_token }));
      expect(list.api_keys[0].last_used_at).toBeTruthy();
    });
  });

  it("a revoked key is 401 at once; an expired or made-up key is 401", async () => {
    const owner = await createCreator();
    const created = await createKey(owner.access_token, { name: "soon gone", scopes: ["read"] });
    expect((await withKey("/api/v1/knowledge-bases", created.key)).status).toBe(200);
    expect((await api(`/api/v1/api-keys/${created.id}`, { method: "DELETE", token: owner.access_token })).status).toBe(204);
    const revoked = await withKey("/api/v1/knowledge-bases", created.key);
    expect(revoked.status).toBe(401);
    expect((await errorOf(revoked)).message).toMatch(/revoked/);
    // revoking twice is harmless
    expect((await api(`/api/v1/api-keys/${created.id}`, { method: "DELETE", token: owner.access_token })).status).toBe(204);

    const expiring = await createKey(owner.access_token, { name: "expiring", scopes: ["read"], expires_at: new Date(Date.now() + 3600_000).toISOString() });
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), expiring.id).run();
    const expired = await withKey("/api/v1/knowledge-bases", expiring.key);
    expect(expired.status).toBe(401);
    expect((await errorOf(expired)).message).toMatch(/expired/);

    for (const bogus of ["", "ek_short", `ek_${"A".repeat(43)}`, "Bearer x"]) {
      expect((await withKey("/api/v1/knowledge-bases", bogus)).status, bogus).toBe(401);
    }
  });

  it("ends when the member who created it is removed", async () => {
    const owner = await createCreator();
    const admin = await inviteAndAccept(owner.access_token, "admin");
    const key = (await createKey(admin.access_token, { name: "admin's", scopes: ["read"] })).key;
    expect((await withKey("/api/v1/knowledge-bases", key)).status).toBe(200);
    expect((await api(`/api/v1/team/members/${admin.creator.member.id}`, { method: "DELETE", token: owner.access_token })).status).toBe(204);
    expect((await withKey("/api/v1/knowledge-bases", key)).status).toBe(401);
  });
});

describe("DELETE /api/v1/api-keys/{id}", () => {
  it("another creator's key is 404 and stays valid; a bad id is 422", async () => {
    const a = await createCreator();
    const b = await createCreator();
    const created = await createKey(a.access_token, { name: "a's", scopes: ["read"] });
    expect((await api(`/api/v1/api-keys/${created.id}`, { method: "DELETE", token: b.access_token })).status).toBe(404);
    expect((await withKey("/api/v1/knowledge-bases", created.key)).status).toBe(200);
    expect((await api(`/api/v1/api-keys/not-a-uuid`, { method: "DELETE", token: a.access_token })).status).toBe(422);
    expect((await json(await api("/api/v1/api-keys", { token: b.access_token }))).total).toBe(0);
  });
});
