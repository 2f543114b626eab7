// Tracker 11 item 8: one tenant's data must not shape (or reveal itself through) another tenant's search.
// FTS5's bm25() uses whole-table statistics; retrieval now scores with the creator's own statistics.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { search } from "../../src/ai/retrieve";
import { createCreator } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";

const PAGES = {
  "refunds.md": "# Refunds\n\nRefunds for yoga class packs are paid within 14 days. A refund goes back to the card you paid with.",
  "classes.md": "# Classes\n\nMorning yoga classes start at 7 am. Evening pilates classes run on Tuesdays. Class packs never expire.",
  "studio.md": "# The studio\n\nThe studio has showers, lockers and free towels. Yoga mats can be borrowed at the desk.",
};
const QUERIES = ["yoga class refund", "refund towels", "pilates classes on tuesdays"];

describe("search statistics are per tenant", { timeout: 180_000 }, () => {
  it("a tenant's ranking and scores are the same before and after another tenant adds 1,000 documents full of the query's words", async () => {
    const a = await createCreator();
    const kb = await createKb(a.access_token);
    for (const [file, text] of Object.entries(PAGES)) await uploadAndWait(a.access_token, kb.id, file, text);
    const noCache = { ...env, SEARCH_CACHE_TTL_SECONDS: "0" };
    const snapshot = async () => {
      const out: unknown[] = [];
      for (const query of QUERIES)
        for (const mode of ["bm25", "vector", "hybrid"] as const) {
          const r = await search(noCache, a.creator.id, { query, limit: 10, mode });
          expect(r.cache_hit).toBe(false);
          out.push(r.results.map((h) => [h.chunk_id, h.score, h.bm25_score, h.vector_score]));
        }
      return out;
    };
    const before = await snapshot();
    expect((before[0] as unknown[]).length).toBeGreaterThan(0);

    // Another tenant's thousand documents, every one full of the queries' words (rows written as the
    // ingestion consumer writes them; the FTS5 triggers index them like any upload).
    const b = await createCreator();
    const kbB = await createKb(b.access_token);
    const stmts: D1PreparedStatement[] = [];
    for (let i = 0; i < 1000; i++) {
      const docId = crypto.randomUUID();
      stmts.push(
        env.DB.prepare(
          "INSERT INTO documents (id, creator_id, knowledge_base_id, title, filename, file_type, mime_type, file_size_bytes, r2_key, processing_status) VALUES (?, ?, ?, ?, ?, 'md', 'text/markdown', 100, ?, 'completed')",
        ).bind(docId, b.creator.id, kbB.id, `doc ${i}`, `doc-${i}.md`, `creators/${b.creator.id}/documents/${docId}/original`),
        env.DB.prepare("INSERT INTO knowledge_chunks (id, creator_id, knowledge_base_id, document_id, chunk_index, content, heading) VALUES (?, ?, ?, ?, 0, ?, 'Yoga refunds')").bind(
          crypto.randomUUID(),
          b.creator.id,
          kbB.id,
          docId,
          `Yoga class refund ${i}: refund refund yoga classes pilates classes on tuesdays, towels and refunds.`,
        ),
      );
    }
    for (let i = 0; i < stmts.length; i += 200) await env.DB.batch(stmts.slice(i, i + 200));
    const other = await env.DB.prepare("SELECT count(*) AS n FROM knowledge_chunks WHERE creator_id = ?").bind(b.creator.id).first<{ n: number }>();
    expect(other!.n).toBe(1000);

    expect(await snapshot()).toEqual(before);
  });
});
