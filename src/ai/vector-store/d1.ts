// VECTOR_STORE=d1: vectors as BLOBs in D1 (int8-quantised: a quarter of Float32's bytes to scan,
// cosine error ~1e-3 on normalised vectors; Float32 BLOBs are still read), cosine in the Worker. A query scans the creator's rows in
// pages (keyset on chunk_seq) and keeps a top-k heap, so memory is one page plus k matches whatever
// the knowledge base's size. Documented limit: 100,000 chunks per creator (about 200 pages of 500).
import type { TopK as TopKType, VectorMatch, VectorQuery, VectorRecord, VectorStore } from "./types";
import { TopK } from "./types";

const INSERT_BATCH = 50;
// D1 allows 100 bound parameters per statement.
const MAX_IN = 80;

const SCALE = 127;

/** Normalised vectors (|x| <= 1) as int8: round(x * 127). */
function toBlob(v: Float32Array): ArrayBuffer {
  const out = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.max(-SCALE, Math.min(SCALE, Math.round(v[i]! * SCALE)));
  return out.buffer;
}

function bytesOf(value: unknown): ArrayBuffer {
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  // Older D1 runtimes hand BLOBs back as arrays of byte values.
  return Uint8Array.from(value as number[]).buffer;
}

/** Cosine of the (normalised) query with a stored vector: int8 (dims bytes) or Float32 (4 × dims bytes). */
function score(query: Float32Array, blob: unknown): number {
  const bytes = bytesOf(blob);
  let s = 0;
  if (bytes.byteLength === query.length * 4) {
    const v = new Float32Array(bytes);
    for (let i = 0; i < v.length; i++) s += query[i]! * v[i]!;
    return s;
  }
  const v = new Int8Array(bytes);
  const n = Math.min(v.length, query.length);
  for (let i = 0; i < n; i++) s += query[i]! * v[i]!;
  return s / SCALE;
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
    statements(creatorId, records) {
      return records.map((r) =>
        db
          .prepare(
            "INSERT OR REPLACE INTO chunk_vectors (chunk_seq, chunk_id, creator_id, knowledge_base_id, document_id, dimensions, embedding) SELECT seq, id, creator_id, knowledge_base_id, document_id, ?, ? FROM knowledge_chunks WHERE id = ? AND creator_id = ?",
          )
          .bind(r.values.length, toBlob(r.values), r.chunkId, creatorId),
      );
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
              const similarity = score(vector, blob);
              if (similarity > top.threshold) top.push({ chunkId, score: similarity });
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
