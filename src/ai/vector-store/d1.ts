// VECTOR_STORE=d1: Float32 BLOBs in D1, cosine in the Worker. A query scans the creator's rows in
// pages (keyset on chunk_seq) and keeps a top-k heap, so memory is one page plus k matches whatever
// the knowledge base's size. Documented limit: 100,000 chunks per creator (about 200 pages of 500).
import type { TopK as TopKType, VectorMatch, VectorQuery, VectorRecord, VectorStore } from "./types";
import { TopK } from "./types";

const INSERT_BATCH = 50;
// D1 allows 100 bound parameters per statement.
const MAX_IN = 80;

function toBlob(v: Float32Array): ArrayBuffer {
  return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
}

function fromBlob(value: unknown): Float32Array {
  if (value instanceof ArrayBuffer) return new Float32Array(value);
  if (ArrayBuffer.isView(value)) return new Float32Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  // Older D1 runtimes hand BLOBs back as arrays of byte values.
  return new Float32Array(Uint8Array.from(value as number[]).buffer);
}

function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

export function d1VectorStore(db: D1Database, pageSize: number): VectorStore {
  return {
    name: "d1",
    async upsert(creatorId, records) {
      for (let i = 0; i < records.length; i += INSERT_BATCH) {
        const stmts = records.slice(i, i + INSERT_BATCH).map((r) =>
          db
            .prepare(
              "INSERT OR REPLACE INTO chunk_vectors (chunk_seq, chunk_id, creator_id, knowledge_base_id, document_id, dimensions, embedding) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(r.chunkSeq, r.chunkId, creatorId, r.knowledgeBaseId, r.documentId, r.values.length, toBlob(r.values)),
        );
        if (stmts.length) await db.batch(stmts);
      }
    },
    async query(creatorId, vector, q: VectorQuery) {
      const top: TopKType<VectorMatch> = new TopK<VectorMatch>(q.topK);
      if (!q.knowledgeBaseIds.length || q.topK <= 0) return [];
      if (q.documentIds && !q.documentIds.length) return [];
      // One knowledge base at a time keeps the scan on the (creator, kb, seq) index.
      for (const kbId of q.knowledgeBaseIds) {
        const docGroups = q.documentIds ? chunk(q.documentIds, MAX_IN) : [undefined];
        for (const docs of docGroups) {
          let after = -1;
          for (;;) {
            const docFilter = docs ? ` AND document_id IN (${docs.map(() => "?").join(",")})` : "";
            const page = await db
              .prepare(
                `SELECT chunk_seq, chunk_id, embedding FROM chunk_vectors WHERE creator_id = ? AND knowledge_base_id = ? AND chunk_seq > ?${docFilter} ORDER BY chunk_seq LIMIT ${pageSize}`,
              )
              .bind(creatorId, kbId, after, ...(docs ?? []))
              .raw<[number, string, unknown]>();
            for (const [seq, chunkId, blob] of page) {
              after = seq;
              const score = dot(vector, fromBlob(blob));
              if (score > top.threshold) top.push({ chunkId, score });
            }
            if (page.length < pageSize) break;
          }
        }
      }
      return top.sorted();
    },
    async delete(creatorId, chunkIds) {
      for (const ids of chunk(chunkIds, MAX_IN)) {
        await db
          .prepare(`DELETE FROM chunk_vectors WHERE creator_id = ? AND chunk_id IN (${ids.map(() => "?").join(",")})`)
          .bind(creatorId, ...ids)
          .run();
      }
    },
    async count(creatorId) {
      const row = await db.prepare("SELECT count(*) AS n FROM chunk_vectors WHERE creator_id = ?").bind(creatorId).first<{ n: number }>();
      return row?.n ?? 0;
    },
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type { VectorRecord };
