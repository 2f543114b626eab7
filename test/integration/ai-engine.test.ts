import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, uploadAndWait, waitForDocument } from "../knowledge-helpers";

describe("AI engine endpoints", { timeout: 60_000 }, () => {
  it("models status and reload report the local provider honestly", async () => {
    const s = await createCreator();
    const status = (await (await api("/api/v1/ai/models/status", { token: s.access_token })).json()) as any;
    expect(status).toMatchObject({
      provider: "local",
      status: "available",
      vector_store: "d1",
      models: { chat: { name: "local-extractive", extractive: true }, embedding: { name: "local-hash-ngram-2048", dimensions: 2048, status: "available" } },
    });
    const reload = await api("/api/v1/ai/models/reload", { method: "POST", token: s.access_token });
    expect(reload.status).toBe(200);
    expect(await reload.json()).toMatchObject({ reloaded: true, status: "available" });
  });

  it("embedding stats count chunks and vectors per knowledge base; another creator's id is 404", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const doc = await uploadAndWait(s.access_token, kb.id, "a.md", "# A\n\nFirst part.\n\n# B\n\nSecond part.");
    const stats = (await (await api(`/api/v1/ai/embeddings/stats/${s.creator.id}`, { token: s.access_token })).json()) as any;
    expect(stats).toMatchObject({ creator_id: s.creator.id, total_chunks: doc.chunks_total, total_vectors: doc.chunks_total, dimensions: 2048, documents_by_status: { completed: 1 } });
    // int8: one byte a dimension.
    expect(stats.vector_storage_bytes).toBe(doc.chunks_total * 2048);
    expect(stats.knowledge_bases).toEqual([{ id: kb.id, name: "Handbook", documents: 1, chunks: doc.chunks_total }]);
    expect((await api(`/api/v1/ai/embeddings/stats/not-a-uuid`, { token: s.access_token })).status).toBe(422);
  });

  it("documents/search validates its body and supports bm25, vector and hybrid modes", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "a.txt", "Kettlebell swings build posterior chain strength.");
    for (const mode of ["bm25", "vector", "hybrid"]) {
      const r = (await (await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "kettlebell swings", mode, limit: 5 } })).json()) as any;
      expect(r.mode).toBe(mode);
      expect(r.results[0].content).toContain("Kettlebell");
      if (mode === "bm25") expect(r.results[0].vector_score).toBeNull();
      if (mode === "vector") expect(r.results[0].bm25_score).toBeNull();
    }
    const bad = await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "", limit: 0, mode: "magic", filters: { metadata: { "bad key": 1 } } } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details.map((d) => d.field).sort()).toEqual(["filters.metadata.bad key", "limit", "mode", "query"]);
    const over = await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "x", limit: 51 } });
    expect(over.status).toBe(422);
    // FTS operators in the query are data, not syntax.
    const ops = await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: 'kettlebell" OR NEAR(* "' } });
    expect(ops.status).toBe(200);
  });

  it("caches searches, invalidates on change and by the document endpoint, and warms", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const doc = await uploadAndWait(s.access_token, kb.id, "a.txt", "Box breathing: inhale four, hold four, exhale four.");
    const q = { query: "box breathing", knowledge_base_id: kb.id };
    const first = (await (await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: q })).json()) as any;
    const second = (await (await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: q })).json()) as any;
    expect(first.cache_hit).toBe(false);
    expect(second.cache_hit).toBe(true);
    expect(second.results).toEqual(first.results);

    const inv = await api(`/api/v1/ai/cache/${s.creator.id}/document/${doc.id}`, { method: "DELETE", token: s.access_token });
    expect(inv.status).toBe(200);
    expect(await inv.json()).toMatchObject({ invalidated: true, document_id: doc.id });
    const third = (await (await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: q })).json()) as any;
    expect(third.cache_hit).toBe(false);

    // A new document completing changes the base: the cached result is not served any more.
    await uploadAndWait(s.access_token, kb.id, "b.txt", "Box breathing helps before a competition.");
    const fourth = (await (await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: q })).json()) as any;
    expect(fourth.cache_hit).toBe(false);
    expect(fourth.results).toHaveLength(2);

    const warm = (await (await api(`/api/v1/ai/cache/${s.creator.id}/warm`, { method: "POST", token: s.access_token, json: { queries: ["exhale four"] } })).json()) as any;
    expect(warm).toMatchObject({ warmed: 1, source: "request", queries: [{ query: "exhale four", already_cached: false }] });
    const warmed = (await (await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "exhale four", limit: 10 } })).json()) as any;
    expect(warmed.cache_hit).toBe(true);

    // Without queries it warms the audience's recent questions.
    await api("/api/v1/ai/conversations", { method: "POST", token: s.access_token, json: { message: "what is box breathing" } });
    const fromHistory = (await (await api(`/api/v1/ai/cache/${s.creator.id}/warm`, { method: "POST", token: s.access_token })).json()) as any;
    expect(fromHistory.source).toBe("recent_questions");
    expect(fromHistory.queries.map((x: any) => x.query)).toContain("what is box breathing");
    const badWarm = await api(`/api/v1/ai/cache/${s.creator.id}/warm`, { method: "POST", token: s.access_token, json: { queries: "nope" } });
    expect(badWarm.status).toBe(422);
  });

  it("documents/process re-queues a document and returns the Document Processing Result", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const doc = await uploadAndWait(s.access_token, kb.id, "a.txt", "Foam rolling after training.");
    const res = await api("/api/v1/ai/documents/process", { method: "POST", token: s.access_token, json: { document_id: doc.id } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ document_id: doc.id, status: "pending", filename: "a.txt", metadata: { mime_type: "text/plain" } });
    expect((await waitForDocument(doc.id)).processing_status).toBe("completed");
    expect((await api("/api/v1/ai/documents/process", { method: "POST", token: s.access_token, json: { document_id: crypto.randomUUID() } })).status).toBe(404);
  });

  it("pipeline performance reports p50/p95 of retrieval and generation over recent requests", async () => {
    const s = await createCreator();
    const empty = (await (await api("/api/v1/ai/pipeline/performance", { token: s.access_token })).json()) as any;
    expect(empty.retrieval).toEqual({ count: 0, p50_ms: null, p95_ms: null, max_ms: null });
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "a.txt", "Tempo runs improve lactate threshold.");
    await api("/api/v1/ai/conversations", { method: "POST", token: s.access_token, json: { message: "what do tempo runs improve?" } });
    await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "tempo" } });
    const perf = (await (await api("/api/v1/ai/pipeline/performance", { token: s.access_token })).json()) as any;
    expect(perf.window.requests).toBe(2);
    expect(perf.retrieval.count).toBe(2);
    expect(perf.generation.count).toBe(1);
    expect(perf.retrieval.p50_ms).toBeGreaterThanOrEqual(0);
    expect(perf.retrieval.p95_ms).toBeGreaterThanOrEqual(perf.retrieval.p50_ms);
  });

  it("memory-engine paths: store a vector, then find it by knowledge search", async () => {
    const s = await createCreator();
    const stored = await api("/api/memory/vectors", {
      method: "POST",
      token: s.access_token,
      json: { text: "Our return policy allows returns within 30 days of purchase with original receipt.", metadata: { title: "Return Policy", source: "knowledge_base", url: "https://example.com/returns" } },
    });
    expect(stored.status).toBe(201);
    const v = (await stored.json()) as any;
    expect(v).toMatchObject({ status: "stored", dimensions: 2048 });
    const found = (await (await api("/api/memory/knowledge/search", { method: "POST", token: s.access_token, json: { query: "How do I return an item?", organizationId: "ignored", limit: 5 } })).json()) as any;
    expect(found.results[0]).toMatchObject({ id: v.id, title: "Return Policy", relevance: 1, source: "knowledge_base", url: "https://example.com/returns" });
    const bad = await api("/api/memory/vectors", { method: "POST", token: s.access_token, json: { text: "  " } });
    expect(bad.status).toBe(422);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM documents WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it("documents every knowledge and AI route in the OpenAPI document", async () => {
    const doc = (await (await api("/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const path of [
      "/api/v1/knowledge-bases",
      "/api/v1/knowledge-bases/{knowledge_base_id}/documents/{document_id}/reprocess",
      "/api/v1/creators/knowledge/search",
      "/api/v1/ai/conversations",
      "/api/v1/ai/cache/{creator_id}/warm",
      "/api/memory/vectors",
    ]) expect(Object.keys(doc.paths)).toContain(path);
  });

  it("anonymous callers get 401", async () => {
    expect((await api("/api/v1/knowledge-bases")).status).toBe(401);
    expect((await api("/api/v1/ai/models/status")).status).toBe(401);
  });
});
