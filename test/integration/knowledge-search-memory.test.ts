// What search keeps in the isolate between searches (issue 18: fewer D1 round trips per query): the
// D1 vector store's sketch scan and the term counts, both keyed by the knowledge base's revision. Every
// change to a base must show in the next search (no stale hit, no deleted chunk), and nothing kept for
// one creator may reach another. Also the ingestion's group commit (concurrent documents' D1 batches
// combined): all documents land, and one document's failing statement stays its own.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { search } from "../../src/ai/retrieve";
import { groupBatch } from "../../src/modules/knowledge/group-commit";
import { api, createCreator } from "../helpers";
import { createKb, uploadAndWait, waitForDocument } from "../knowledge-helpers";

const noCache = { ...env, SEARCH_CACHE_TTL_SECONDS: "0" };
const titles = (r: Awaited<ReturnType<typeof search>>) => r.results.map((h) => h.document_title).sort();

describe("search memory per knowledge-base revision", { timeout: 120_000 }, () => {
  it("an upload, a delete and an edit show in the very next search, in every mode, and never across creators", async () => {
    const a = await createCreator();
    const kb = await createKb(a.access_token);
    const kettle = await uploadAndWait(a.access_token, kb.id, "kettlebells.md", "# Kettlebells\n\nKettlebell swings train the hips. Start with a 12 kg kettlebell.");
    await uploadAndWait(a.access_token, kb.id, "rowing.md", "# Rowing\n\nRowing intervals: 500 metres hard, two minutes easy.");
    for (const mode of ["bm25", "vector", "hybrid"] as const) {
      const first = await search(noCache, a.creator.id, { query: "kettlebell swings", limit: 5, mode, knowledgeBaseIds: [kb.id] });
      expect(first.cache_hit).toBe(false);
      expect(titles(first)).toContain("kettlebells");
    }
    const bm25Before = (await search(noCache, a.creator.id, { query: "kettlebell swings", limit: 5, mode: "bm25" })).results[0]!.bm25_score;

    // A second page about kettlebells: found at once (vector mode reads the kept scan only while the revision holds).
    await uploadAndWait(a.access_token, kb.id, "kettlebell-safety.md", "# Kettlebell safety\n\nKettlebell swings need a neutral back and a firm grip on the kettlebell.");
    for (const mode of ["bm25", "vector", "hybrid"] as const) {
      expect(titles(await search(noCache, a.creator.id, { query: "kettlebell swings", limit: 5, mode, knowledgeBaseIds: [kb.id] }))).toContain("kettlebell-safety");
    }
    // The term counts changed with it: the word is in two pages now, so its BM25 weight fell.
    const bm25After = (await search(noCache, a.creator.id, { query: "kettlebell swings", limit: 5, mode: "bm25" })).results.find((h) => h.document_title === "kettlebells")!.bm25_score;
    expect(bm25After!).toBeLessThan(bm25Before!);

    // Deleted: gone from every mode's next search.
    expect((await api(`/api/v1/knowledge-bases/${kb.id}/documents/${kettle.id}`, { method: "DELETE", token: a.access_token })).status).toBe(200);
    for (const mode of ["bm25", "vector", "hybrid"] as const) {
      expect(titles(await search(noCache, a.creator.id, { query: "kettlebell swings", limit: 5, mode, knowledgeBaseIds: [kb.id] }))).not.toContain("kettlebells");
    }

    // Another creator with the same words and the same query: only their own page, whatever was kept for the first.
    const b = await createCreator();
    const kbB = await createKb(b.access_token);
    await uploadAndWait(b.access_token, kbB.id, "kettlebells-b.md", "# Kettlebells B\n\nKettlebell swings for beginners, one hand at a time.");
    for (const mode of ["bm25", "vector", "hybrid"] as const) {
      expect(titles(await search(noCache, b.creator.id, { query: "kettlebell swings", limit: 10, mode }))).toEqual(["kettlebells-b"]);
    }
    // And B's knowledge base is not A's to search.
    await expect(search(noCache, a.creator.id, { query: "kettlebell swings", limit: 5, knowledgeBaseIds: [kbB.id] })).rejects.toMatchObject({ code: "RESOURCE_NOT_FOUND" });
  });
});

describe("ingestion group commit", { timeout: 120_000 }, () => {
  it("documents uploaded together all complete with their chunks and vectors", async () => {
    const a = await createCreator();
    const kb = await createKb(a.access_token);
    // One multi-file upload: its eight queue messages reach the consumer in one batch, side by side.
    const form = new FormData();
    for (let i = 0; i < 8; i++) form.append("file", new File([`# Page ${i}\n\nParagraph ${i} about squats, lunges and rest number ${i}.`], `page-${i}.md`));
    const res = await api(`/api/v1/knowledge-bases/${kb.id}/documents/batch`, { method: "POST", token: a.access_token, body: form });
    expect(res.status).toBe(202);
    const ids = ((await res.json()) as { documents: { id: string }[] }).documents.map((d) => d.id);
    expect(ids).toHaveLength(8);
    for (const id of ids) expect(await waitForDocument(id)).toMatchObject({ processing_status: "completed", chunks_total: 1, chunks_done: 1 });
    const counts = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM knowledge_chunks WHERE creator_id = ?1) AS chunks, (SELECT count(*) FROM chunk_vectors WHERE creator_id = ?1) AS vectors",
    )
      .bind(a.creator.id)
      .first<{ chunks: number; vectors: number }>();
    expect(counts).toEqual({ chunks: 8, vectors: 8 });
  });

  it("a failing caller's batch fails alone; the others commit", async () => {
    const good = (n: number) => [env.DB.prepare("SELECT ? AS n").bind(n)];
    const bad = [env.DB.prepare("INSERT INTO no_such_table VALUES (1)")];
    const results = await Promise.allSettled([groupBatch(env.DB, good(1)), groupBatch(env.DB, good(2)), groupBatch(env.DB, bad), groupBatch(env.DB, good(3))]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(results.filter((r) => r.status === "fulfilled").map((r) => ((r as PromiseFulfilledResult<D1Result<{ n: number }>[]>).value[0]!.results[0] as { n: number }).n)).toEqual([1, 2, 3]);
  });
});
