import { createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeJobs } from "../../src/jobs/consumer";
import type { JobMessage } from "../../src/jobs/types";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, upload, uploadAndWait, waitForDocument } from "../knowledge-helpers";

const count = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

async function indexCounts(documentId: string) {
  return {
    chunks: await count("SELECT count(*) AS n FROM knowledge_chunks WHERE document_id = ?", documentId),
    vectors: await count("SELECT count(*) AS n FROM chunk_vectors WHERE document_id = ?", documentId),
    fts: await count(
      "SELECT count(*) AS n FROM knowledge_chunks_fts WHERE knowledge_chunks_fts MATCH 'zebra' AND rowid IN (SELECT seq FROM knowledge_chunks WHERE document_id = ?)",
      documentId,
    ),
  };
}

const LONG = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} talks about zebra stripes and savanna habitats in detail.`).join(" ");

describe("documents: list, update, delete, reprocess", { timeout: 60_000 }, () => {
  it("lists with pagination, status and title search; limit is at most 100", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const a = await uploadAndWait(s.access_token, kb.id, "alpha.txt", "Alpha text.");
    await uploadAndWait(s.access_token, kb.id, "beta.txt", "Beta text.");
    await uploadAndWait(s.access_token, kb.id, "broken.pdf", "%PDF-1.4 nonsense");
    const page = (await (await api(`/api/v1/knowledge-bases/${kb.id}/documents?page=1&limit=2`, { token: s.access_token })).json()) as any;
    expect(page.documents).toHaveLength(2);
    expect(page.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    const failed = (await (await api(`/api/v1/knowledge-bases/${kb.id}/documents?status=failed`, { token: s.access_token })).json()) as any;
    expect(failed.documents.map((d: any) => d.title)).toEqual(["broken"]);
    const search = (await (await api(`/api/v1/knowledge-bases/${kb.id}/documents?search=alph`, { token: s.access_token })).json()) as any;
    expect(search.documents.map((d: any) => d.id)).toEqual([a.id]);
    expect(search.documents[0].chunk_count).toBe(1);
    const tooMany = await api(`/api/v1/knowledge-bases/${kb.id}/documents?limit=101&status=weird`, { token: s.access_token });
    expect(tooMany.status).toBe(422);
    expect((await errorOf(tooMany)).details.map((d) => d.field).sort()).toEqual(["limit", "status"]);
  });

  it("updates title and metadata (validated) and search filters by metadata", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const doc = await uploadAndWait(s.access_token, kb.id, "zebra.txt", "Zebra stripes confuse biting flies.");
    const other = await uploadAndWait(s.access_token, kb.id, "zebra2.txt", "Zebra herds migrate across the savanna.");
    const res = await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { method: "PUT", token: s.access_token, json: { title: "Zebras", metadata: { topic: "biology" } } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ title: "Zebras", metadata: { topic: "biology" } });
    const bad = await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { method: "PUT", token: s.access_token, json: { title: "", metadata: "x" } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details.map((d) => d.field).sort()).toEqual(["metadata", "title"]);
    const empty = await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { method: "PUT", token: s.access_token, json: {} });
    expect(empty.status).toBe(422);

    const filtered = (await (
      await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "zebra", filters: { metadata: { topic: "biology" } } } })
    ).json()) as any;
    expect(filtered.results.map((r: any) => r.document_id)).toEqual([doc.id]);
    expect(filtered.results[0].document_title).toBe("Zebras");
    const all = (await (await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "zebra" } })).json()) as any;
    expect(all.results.map((r: any) => r.document_id).sort()).toEqual([doc.id, other.id].sort());
  });

  it("delete removes the row, every chunk, FTS row, vector and R2 object; a second delete is 404", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token, { settings: { chunk_size: 200, chunk_overlap: 40 } });
    const doc = await uploadAndWait(s.access_token, kb.id, "zebra.txt", LONG);
    const before = await indexCounts(doc.id);
    expect(before.chunks).toBeGreaterThan(3);
    expect(before.vectors).toBe(before.chunks);
    expect(before.fts).toBe(before.chunks);
    const res = await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { method: "DELETE", token: s.access_token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Document deleted successfully" });
    expect(await indexCounts(doc.id)).toEqual({ chunks: 0, vectors: 0, fts: 0 });
    expect((await env.FILES.list({ prefix: `creators/${s.creator.id}/documents/${doc.id}/` })).objects).toHaveLength(0);
    expect((await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { method: "DELETE", token: s.access_token })).status).toBe(404);
    const search = (await (await api(`/api/v1/creators/knowledge/search?q=zebra`, { token: s.access_token })).json()) as any;
    expect(search.results).toEqual([]);
  });

  it("reprocess rebuilds with the new settings and leaves no old chunk behind (twice in a row too)", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token, { settings: { chunk_size: 200, chunk_overlap: 0 } });
    const doc = await uploadAndWait(s.access_token, kb.id, "zebra.txt", LONG);
    const small = await indexCounts(doc.id);
    await api(`/api/v1/knowledge-bases/${kb.id}`, { method: "PUT", token: s.access_token, json: { settings: { chunk_size: 2000, chunk_overlap: 100 } } });
    const first = await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/reprocess`, { method: "POST", token: s.access_token });
    expect(first.status).toBe(202);
    expect(((await first.json()) as any).processing_status).toBe("pending");
    const second = await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/reprocess`, { method: "POST", token: s.access_token });
    expect(second.status).toBe(202);
    // Wait for the last generation, then for the queue to drain the stale message too.
    const state = await waitForDocument(doc.id);
    expect(state.processing_status).toBe("completed");
    await new Promise((r) => setTimeout(r, 1500));
    const after = await indexCounts(doc.id);
    expect(after.chunks).toBeLessThan(small.chunks);
    expect(after).toEqual({ chunks: after.chunks, vectors: after.chunks, fts: after.chunks });
    const indexes = await env.DB.prepare("SELECT chunk_index FROM knowledge_chunks WHERE document_id = ? ORDER BY chunk_index").bind(doc.id).raw<[number]>();
    expect(indexes.map((r) => r[0])).toEqual(Array.from({ length: after.chunks }, (_, i) => i));
  });

  it("shows progress while processing and retries; a message that keeps failing marks its document failed", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const doc = await uploadAndWait(s.access_token, kb.id, "a.txt", "Some text.");
    // Make processing fail the way a transient fault would (its knowledge base can't be read).
    await env.DB.prepare("UPDATE documents SET knowledge_base_id = 'missing-kb', generation = 7 WHERE id = ?").bind(doc.id).run();
    const job: JobMessage = { type: "knowledge.ingest", creatorId: s.creator.id, documentId: doc.id, generation: 7 };
    const early = createMessageBatch<JobMessage>("edgecoach-jobs", [{ id: "m1", timestamp: new Date(), attempts: 1, body: job }]);
    const ctx1 = createExecutionContext();
    await consumeJobs(early, env);
    const r1 = await getQueueResult(early, ctx1);
    expect(r1.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
    expect(await count("SELECT count(*) AS n FROM documents WHERE id = ? AND processing_status = 'processing'", doc.id)).toBe(1);

    const last = createMessageBatch<JobMessage>("edgecoach-jobs", [{ id: "m2", timestamp: new Date(), attempts: 5, body: job }]);
    const ctx2 = createExecutionContext();
    await consumeJobs(last, env);
    const r2 = await getQueueResult(last, ctx2);
    expect(r2.retryMessages).toEqual([]);
    expect(r2.explicitAcks).toEqual(["m2"]);
    const row = await env.DB.prepare("SELECT processing_status, error_message FROM documents WHERE id = ?").bind(doc.id).first<{ processing_status: string; error_message: string }>();
    expect(row!.processing_status).toBe("failed");
    expect(row!.error_message).toMatch(/after repeated attempts/);
  });
});

describe("older /api/v1/creators/knowledge/* paths", { timeout: 60_000 }, () => {
  it("upload into the default knowledge base, list, search and delete", async () => {
    const s = await createCreator();
    const form = new FormData();
    form.set("file", new File(["Our studio opens at 6 am on weekdays."], "hours.txt"));
    form.set("title", "Opening hours");
    const res = await api("/api/v1/creators/knowledge/upload", { method: "POST", token: s.access_token, body: form });
    expect(res.status).toBe(202);
    const doc = (await res.json()) as any;
    expect((await waitForDocument(doc.id)).processing_status).toBe("completed");
    const kbs = (await (await api("/api/v1/knowledge-bases", { token: s.access_token })).json()) as any;
    expect(kbs.knowledge_bases).toHaveLength(1);
    expect(kbs.knowledge_bases[0]).toMatchObject({ id: doc.knowledge_base_id, is_default: true, document_count: 1 });
    const list = (await (await api("/api/v1/creators/knowledge/documents", { token: s.access_token })).json()) as any;
    expect(list.documents.map((d: any) => d.id)).toEqual([doc.id]);
    const search = (await (await api(`/api/v1/creators/knowledge/search?q=${encodeURIComponent("when does the studio open")}&limit=5`, { token: s.access_token })).json()) as any;
    expect(search.results[0].document_id).toBe(doc.id);
    const badLimit = await api(`/api/v1/creators/knowledge/search?q=x&limit=51`, { token: s.access_token });
    expect(badLimit.status).toBe(422);
    expect((await errorOf(badLimit)).details[0]!.field).toBe("limit");
    const noQuery = await api(`/api/v1/creators/knowledge/search`, { token: s.access_token });
    expect(noQuery.status).toBe(422);
    expect((await api(`/api/v1/creators/knowledge/documents/${doc.id}`, { method: "DELETE", token: s.access_token })).status).toBe(200);
    expect(((await (await api("/api/v1/creators/knowledge/documents", { token: s.access_token })).json()) as any).documents).toEqual([]);
  });
});

describe("tenancy", { timeout: 60_000 }, () => {
  it("another creator gets 404 for every knowledge resource and an empty search", async () => {
    const owner = await createCreator();
    const other = await createCreator();
    const kb = await createKb(owner.access_token);
    const doc = await uploadAndWait(owner.access_token, kb.id, "secret.txt", "The secret recipe uses cardamom.");
    const t = other.access_token;
    const paths: [string, string, unknown?][] = [
      ["GET", `/api/v1/knowledge-bases/${kb.id}`],
      ["PUT", `/api/v1/knowledge-bases/${kb.id}`, { name: "x" }],
      ["DELETE", `/api/v1/knowledge-bases/${kb.id}`],
      ["GET", `/api/v1/knowledge-bases/${kb.id}/documents`],
      ["GET", `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`],
      ["PUT", `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { title: "x" }],
      ["DELETE", `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`],
      ["POST", `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/reprocess`],
      ["DELETE", `/api/v1/creators/knowledge/documents/${doc.id}`],
      ["POST", "/api/v1/ai/documents/process", { document_id: doc.id }],
      ["POST", "/api/v1/ai/documents/search", { query: "cardamom", knowledge_base_id: kb.id }],
      ["GET", `/api/v1/ai/embeddings/stats/${owner.creator.id}`],
      ["DELETE", `/api/v1/ai/cache/${owner.creator.id}/document/${doc.id}`],
      ["POST", `/api/v1/ai/cache/${owner.creator.id}/warm`, {}],
      ["POST", "/api/v1/ai/conversations", { message: "recipe?", knowledge_base_id: kb.id }],
    ];
    for (const [method, path, json] of paths) {
      const res = await api(path, { method, token: t, ...(json !== undefined ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const up = await upload(t, kb.id, "x.txt", "hello");
    expect(up.status).toBe(404);
    const search = (await (await api(`/api/v1/creators/knowledge/search?q=cardamom`, { token: t })).json()) as any;
    expect(search.results).toEqual([]);
    const mem = (await (await api("/api/memory/knowledge/search", { method: "POST", token: t, json: { query: "cardamom" } })).json()) as any;
    expect(mem.results).toEqual([]);
    expect(((await (await api("/api/v1/knowledge-bases", { token: t })).json()) as any).knowledge_bases).toEqual([]);
    expect(((await (await api("/api/v1/creators/knowledge/documents", { token: t })).json()) as any).documents).toEqual([]);
    // Nothing changed for the owner.
    const still = await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { token: owner.access_token });
    expect(((await still.json()) as any).title).toBe("secret");
  });
});
