import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, upload, uploadAndWait, waitForDocument } from "../knowledge-helpers";

const HANDBOOK = `# Studio handbook

## Refunds
Refunds are available within 30 days of purchase. Send your receipt to support@example.com and we reply within two business days.

## Classes
Morning yoga classes start at 7 am. Evening pilates runs on Tuesdays and Thursdays at 6 pm.
`;

describe("knowledge bases", () => {
  it("creates, lists, gets, updates and deletes a knowledge base", async () => {
    const s = await createCreator();
    const created = await api("/api/v1/knowledge-bases", {
      method: "POST",
      token: s.access_token,
      json: { name: "FAQ", description: "Questions", settings: { chunk_size: 500, chunk_overlap: 50, embedding_model: "local-hash-ngram-2048" } },
    });
    expect(created.status).toBe(201);
    const kb = (await created.json()) as Record<string, any>;
    expect(kb).toMatchObject({ name: "FAQ", description: "Questions", document_count: 0, total_size_bytes: 0, settings: { chunk_size: 500, chunk_overlap: 50, embedding_model: "local-hash-ngram-2048" } });

    const list = (await (await api("/api/v1/knowledge-bases", { token: s.access_token })).json()) as any;
    expect(list.knowledge_bases.map((k: any) => k.id)).toEqual([kb.id]);

    const updated = await api(`/api/v1/knowledge-bases/${kb.id}`, { method: "PUT", token: s.access_token, json: { name: "FAQ 2", settings: { chunk_size: 800 } } });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ name: "FAQ 2", settings: { chunk_size: 800, chunk_overlap: 50 } });

    expect((await api(`/api/v1/knowledge-bases/${kb.id}`, { method: "DELETE", token: s.access_token })).status).toBe(200);
    expect((await api(`/api/v1/knowledge-bases/${kb.id}`, { token: s.access_token })).status).toBe(404);
  });

  it("rejects bad settings with one detail per field", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "", settings: { chunk_size: 10, chunk_overlap: -1 } } });
    expect(res.status).toBe(422);
    const fields = (await errorOf(res)).details.map((d) => d.field).sort();
    expect(fields).toEqual(["name", "settings.chunk_overlap", "settings.chunk_size"]);
    const overlap = await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "x", settings: { chunk_size: 200, chunk_overlap: 300 } } });
    expect(overlap.status).toBe(422);
    expect((await errorOf(overlap)).details[0]!.field).toBe("settings.chunk_overlap");
    const n = await env.DB.prepare("SELECT count(*) AS n FROM knowledge_bases WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });
});

describe("documents: upload and ingestion", () => {
  it("uploads markdown, ingests it on the queue and serves it with chunks", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const res = await upload(s.access_token, kb.id, "handbook.md", HANDBOOK, { title: "Studio handbook", metadata: JSON.stringify({ lang: "en" }) });
    expect(res.status).toBe(202);
    const doc = (await res.json()) as any;
    expect(doc).toMatchObject({ title: "Studio handbook", file_type: "md", processing_status: "pending", metadata: { lang: "en" } });
    expect(doc.file_size_bytes).toBe(new TextEncoder().encode(HANDBOOK).byteLength);
    const state = await waitForDocument(doc.id);
    expect(state.processing_status).toBe("completed");
    expect(state.chunks_done).toBe(state.chunks_total);

    const detail = (await (await api(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { token: s.access_token })).json()) as any;
    expect(detail.processing_status).toBe("completed");
    expect(detail.content).toContain("Refunds are available within 30 days");
    expect(detail.chunks.length).toBeGreaterThanOrEqual(2);
    // Markdown headings stay with their chunks as context.
    const refund = detail.chunks.find((c: any) => c.content.includes("Refunds are available"));
    expect(refund.metadata.heading).toBe("Studio handbook > Refunds");
    expect(detail.chunk_count).toBe(detail.chunks.length);

    const r2 = await env.FILES.list({ prefix: `creators/${s.creator.id}/documents/${doc.id}/` });
    expect(r2.objects.map((o) => o.key).sort()).toEqual([`creators/${s.creator.id}/documents/${doc.id}/content.txt`, `creators/${s.creator.id}/documents/${doc.id}/original`]);
  });

  it("searches with BM25 + vectors and highlights the snippet", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "handbook.md", HANDBOOK);
    const res = await api(`/api/v1/creators/knowledge/search?q=${encodeURIComponent("how do refunds work?")}&limit=3&knowledge_base_id=${kb.id}`, { token: s.access_token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.results[0].content).toContain("Refunds are available");
    expect(body.results[0].snippet).toContain("<mark>Refunds</mark>");
    // BM25 is degenerate on a corpus this small (FTS5 floors the idf); that it matched is what counts.
    expect(body.results[0].bm25_score).not.toBeNull();
    expect(body.results[0].content).toContain("support@example.com");
    expect(body.results[0].vector_score).toBeGreaterThan(0);
    expect(body.results[0].document_title).toBe("handbook");
  });
});
