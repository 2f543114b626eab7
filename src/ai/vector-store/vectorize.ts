// VECTOR_STORE=vectorize (production): one namespace per creator, knowledge base and document in
// metadata (needs metadata indexes on knowledge_base_id and document_id: see the README).
import type { VectorStore } from "./types";

// Vectorize's topK ceiling when no values or metadata are returned.
const MAX_TOP_K = 100;
const DELETE_BATCH = 1000;

export function vectorizeStore(index: VectorizeIndex | undefined): VectorStore {
  const idx = () => {
    if (!index) throw new Error("VECTOR_STORE=vectorize needs the VECTORIZE binding ([env.production] in wrangler.toml)");
    return index;
  };
  return {
    name: "vectorize",
    async upsert(creatorId, records) {
      if (!records.length) return;
      await idx().upsert(
        records.map((r) => ({
          id: r.chunkId,
          namespace: creatorId,
          values: Array.from(r.values),
          metadata: { knowledge_base_id: r.knowledgeBaseId, document_id: r.documentId, chunk_seq: r.chunkSeq },
        })),
      );
    },
    async query(creatorId, vector, q) {
      if (!q.knowledgeBaseIds.length || (q.documentIds && !q.documentIds.length)) return [];
      const filter: VectorizeVectorMetadataFilter = { knowledge_base_id: { $in: q.knowledgeBaseIds } };
      if (q.documentIds) filter.document_id = { $in: q.documentIds };
      const res = await idx().query(Array.from(vector), {
        topK: Math.min(q.topK, MAX_TOP_K),
        namespace: creatorId,
        filter,
        returnValues: false,
        returnMetadata: "none",
      });
      return res.matches.map((m) => ({ chunkId: m.id, score: m.score }));
    },
    async delete(_creatorId, chunkIds) {
      // Ids are chunk UUIDs (unique across creators), so deleting by id can't touch another tenant.
      for (let i = 0; i < chunkIds.length; i += DELETE_BATCH) await idx().deleteByIds(chunkIds.slice(i, i + DELETE_BATCH));
    },
    async deleteAll(_creatorId, chunkIds) {
      for await (const ids of chunkIds()) {
        for (let i = 0; i < ids.length; i += DELETE_BATCH) await idx().deleteByIds(ids.slice(i, i + DELETE_BATCH));
      }
    },
    async count() {
      return undefined;
    },
  };
}
