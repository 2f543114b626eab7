// The permission table on the knowledge and AI-engine routes: an agent (read + conversations) reads
// and searches the knowledge bases but never changes them; a 403 changes nothing.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf, inviteAndAccept } from "../helpers";
import { createKb, uploadAndWait, uploadForm } from "../knowledge-helpers";

const NOTES = "# Studio notes\n\nRefunds are available within 30 days of purchase.\n";

describe("knowledge routes for a team member with the agent role", () => {
  it("answers 403 INSUFFICIENT_PERMISSIONS on every write route and leaves the data as it was", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const kb = await createKb(owner.access_token);
    const doc = await uploadAndWait(owner.access_token, kb.id, "notes.md", NOTES);
    const creatorId = owner.creator.id;
    const token = agent.access_token;

    const writes: [string, string, RequestInit & { json?: unknown }][] = [
      ["create a knowledge base", "/api/v1/knowledge-bases", { method: "POST", json: { name: "Agent's" } }],
      ["update a knowledge base", `/api/v1/knowledge-bases/${kb.id}`, { method: "PUT", json: { name: "Renamed" } }],
      ["delete a knowledge base", `/api/v1/knowledge-bases/${kb.id}`, { method: "DELETE" }],
      ["upload", `/api/v1/knowledge-bases/${kb.id}/documents`, { method: "POST", body: uploadForm("x.md", "# X\n\nSome text.") }],
      ["upload several files", `/api/v1/knowledge-bases/${kb.id}/documents/batch`, { method: "POST", body: uploadForm("x.md", "# X\n\nSome text.") }],
      ["upload (creator hub path)", "/api/v1/creators/knowledge/upload", { method: "POST", body: uploadForm("x.md", "# X\n\nSome text.") }],
      ["update a document", `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { method: "PUT", json: { title: "Renamed" } }],
      ["delete a document", `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`, { method: "DELETE" }],
      ["delete a document (creator hub path)", `/api/v1/creators/knowledge/documents/${doc.id}`, { method: "DELETE" }],
      ["reprocess a document", `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/reprocess`, { method: "POST" }],
      ["process a document (AI engine)", "/api/v1/ai/documents/process", { method: "POST", json: { document_id: doc.id } }],
      ["store a vector", "/api/memory/vectors", { method: "POST", json: { content: "x" } }],
      ["invalidate the document cache", `/api/v1/ai/cache/${creatorId}/document/${doc.id}`, { method: "DELETE" }],
      ["warm the cache", `/api/v1/ai/cache/${creatorId}/warm`, { method: "POST", json: {} }],
      ["reload the models (admin)", "/api/v1/ai/models/reload", { method: "POST", json: {} }],
    ];
    for (const [what, path, init] of writes) {
      const res = await api(path, { ...init, token });
      expect(res.status, what).toBe(403);
      expect((await errorOf(res)).code, what).toBe("INSUFFICIENT_PERMISSIONS");
    }

    // Nothing changed: one base with its name, one document with its title, status and chunks.
    const bases = await env.DB.prepare("SELECT id, name FROM knowledge_bases WHERE creator_id = ?").bind(creatorId).all();
    expect(bases.results).toEqual([{ id: kb.id, name: "Handbook" }]);
    const docs = await env.DB.prepare("SELECT id, title, processing_status, generation FROM documents WHERE creator_id = ?").bind(creatorId).all();
    expect(docs.results).toEqual([{ id: doc.id, title: "notes", processing_status: "completed", generation: 1 }]);
    const chunks = await env.DB.prepare("SELECT count(*) AS n FROM knowledge_chunks WHERE creator_id = ?").bind(creatorId).first<{ n: number }>();
    expect(chunks!.n).toBe(doc.chunks_total);
  });

  it("reads, lists and searches what the owner uploaded (the 'read' permission)", async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const kb = await createKb(owner.access_token);
    const doc = await uploadAndWait(owner.access_token, kb.id, "notes.md", NOTES);
    const token = agent.access_token;

    const reads = [
      "/api/v1/knowledge-bases",
      `/api/v1/knowledge-bases/${kb.id}`,
      `/api/v1/knowledge-bases/${kb.id}/documents`,
      `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`,
      "/api/v1/creators/knowledge/documents",
      "/api/v1/creators/knowledge/search?q=refunds",
      "/api/v1/ai/models/status",
      `/api/v1/ai/embeddings/stats/${owner.creator.id}`,
      "/api/v1/ai/pipeline/performance",
    ];
    for (const path of reads) expect((await api(path, { token })).status, path).toBe(200);

    const search = await api("/api/v1/ai/documents/search", { method: "POST", token, json: { query: "refund window", knowledge_base_id: kb.id } });
    expect(search.status).toBe(200);
    expect(((await search.json()) as any).results[0].document_id).toBe(doc.id);
    const memory = await api("/api/memory/knowledge/search", { method: "POST", token, json: { query: "refund window" } });
    expect(memory.status).toBe(200);
    // The agent answers conversations (the 'conversations' permission) from the same knowledge.
    const answer = await api("/api/v1/ai/conversations", { method: "POST", token, json: { message: "How long do I have for a refund?", knowledge_base_id: kb.id } });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as any).sources_count).toBeGreaterThan(0);
  });
});
