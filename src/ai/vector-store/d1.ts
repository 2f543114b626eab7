// VECTOR_STORE=d1: vectors in D1, cosine in the Worker, in two stages so a query reads little:
//  1. scan: each row also holds a 1-bit sketch (the signs, dims/8 bytes); rows are scanned in pages
//     (keyset on chunk_seq) scoring query · sign(v) with a per-query lookup table; a bounded heap
//     keeps the best `oversample × k` candidates;
//  2. rescore: the int8 vectors (round(x × 127); Float32 BLOBs are read too) of the candidates only
//     give the exact cosines; the top k are returned.
// Memory is one page plus the heap whatever the knowledge base's size; reading 256 B instead of
// 2 KB a row is what keeps a query fast (D1 rows cost by their bytes). Documented limit: 100,000
// chunks per creator (50 pages of 2,000 sketches).
import { TopK, type VectorMatch, type VectorQuery, type VectorRecord, type VectorStore } from "./types";

const INSERT_BATCH = 50;
// D1 allows 100 bound parameters per statement.
const MAX_IN = 80;
const SCALE = 127;
/** Candidates kept from the sketch scan per result asked for (and at least MIN_CANDIDATES). */
const OVERSAMPLE = 4;
const MIN_CANDIDATES = 200;

/** Normalised vectors (|x| <= 1) as int8: round(x * 127). */
function toBlob(v: Float32Array): ArrayBuffer {
  const out = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.max(-SCALE, Math.min(SCALE, Math.round(v[i]! * SCALE)));
  return out.buffer;
}

/** One bit a dimension: set when the value is positive. */
export function toSketch(v: Float32Array): ArrayBuffer {
  const out = new Uint8Array(Math.ceil(v.length / 8));
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) out[i >> 3]! |= 1 << (i & 7);
  return out.buffer;
}

function bytesOf(value: unknown): ArrayBuffer {
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  // Older D1 runtimes hand BLOBs back as arrays of byte values.
  return Uint8Array.from(value as number[]).buffer;
}

/** Exact cosine of the (normalised) query with a stored vector: int8 (dims bytes) or Float32 (4 × dims bytes). */
function exactScore(query: Float32Array, blob: unknown): number {
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

/** table[j * 256 + b] = Σ over the set bits k of byte value b of query[8j + k]: sketch scoring by lookups. */
function sketchTable(query: Float32Array): { table: Float32Array; total: number } {
  const bytes = Math.ceil(query.length / 8);
  const table = new Float32Array(bytes * 256);
  let total = 0;
  for (let j = 0; j < bytes; j++) {
    for (let b = 1; b < 256; b++) {
      const low = b & (b - 1); // b without its lowest set bit: already computed
      const bit = Math.log2(b ^ low);
      table[j * 256 + b] = table[j * 256 + low]! + (query[j * 8 + bit] ?? 0);
    }
  }
  for (let i = 0; i < query.length; i++) total += query[i]!;
  return { table, total };
}

/** query · sign(v) = 2 × (sum of query where v > 0) − sum of query. */
function sketchScore(t: { table: Float32Array; total: number }, sketch: Uint8Array): number {
  let positive = 0;
  for (let j = 0; j < sketch.length; j++) positive += t.table[j * 256 + sketch[j]!]!;
  return 2 * positive - t.total;
}

export function d1VectorStore(db: D1Database, pageSize: number): VectorStore {
  const insert = (creatorId: string, r: Omit<VectorRecord, "chunkSeq">) => [r.values.length, toBlob(r.values), toSketch(r.values), r.chunkId, creatorId] as const;
  return {
    name: "d1",
    async upsert(creatorId, records) {
      for (let i = 0; i < records.length; i += INSERT_BATCH) {
        const stmts = records.slice(i, i + INSERT_BATCH).map((r) =>
          db
            .prepare(
              "INSERT OR REPLACE INTO chunk_vectors (chunk_seq, chunk_id, creator_id, knowledge_base_id, document_id, dimensions, embedding, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(r.chunkSeq, r.chunkId, creatorId, r.knowledgeBaseId, r.documentId, r.values.length, toBlob(r.values), toSketch(r.values)),
        );
        if (stmts.length) await db.batch(stmts);
      }
    },
    statements(creatorId, records) {
      return records.map((r) =>
        db
          .prepare(
            "INSERT OR REPLACE INTO chunk_vectors (chunk_seq, chunk_id, creator_id, knowledge_base_id, document_id, dimensions, embedding, sketch) SELECT seq, id, creator_id, knowledge_base_id, document_id, ?, ?, ? FROM knowledge_chunks WHERE id = ? AND creator_id = ?",
          )
          .bind(...insert(creatorId, r)),
      );
    },
    async query(creatorId, vector, q: VectorQuery) {
      if (!q.knowledgeBaseIds.length || q.topK <= 0) return [];
      if (q.documentIds && !q.documentIds.length) return [];
      const table = sketchTable(vector);
      const candidates = new TopK<{ seq: number; score: number }>(Math.max(q.topK * OVERSAMPLE, MIN_CANDIDATES));
      // One knowledge base at a time keeps the scan on the (creator, kb, seq) index.
      for (const kbId of q.knowledgeBaseIds) {
        const docGroups = q.documentIds ? chunk(q.documentIds, MAX_IN) : [undefined];
        for (const docs of docGroups) {
          let after = -1;
          for (;;) {
            const docFilter = docs ? ` AND document_id IN (${docs.map(() => "?").join(",")})` : "";
            // Rows written before sketches existed fall back to their full vector (scored exactly).
            const page = await db
              .prepare(
                `SELECT chunk_seq, coalesce(sketch, embedding) FROM chunk_vectors WHERE creator_id = ? AND knowledge_base_id = ? AND chunk_seq > ?${docFilter} ORDER BY chunk_seq LIMIT ${pageSize}`,
              )
              .bind(creatorId, kbId, after, ...(docs ?? []))
              .raw<[number, unknown]>();
            for (const [seq, blob] of page) {
              after = seq;
              const bytes = new Uint8Array(bytesOf(blob));
              const score = bytes.byteLength === Math.ceil(vector.length / 8) ? sketchScore(table, bytes) : exactScore(vector, blob) * Math.sqrt(vector.length);
              if (score > candidates.threshold) candidates.push({ seq, score });
            }
            if (page.length < pageSize) break;
          }
        }
      }
      const top = new TopK<VectorMatch>(q.topK);
      for (const group of chunk(candidates.sorted().map((c) => c.seq), MAX_IN)) {
        const rows = await db
          .prepare(`SELECT chunk_id, embedding FROM chunk_vectors WHERE creator_id = ? AND chunk_seq IN (${group.map(() => "?").join(",")})`)
          .bind(creatorId, ...group)
          .raw<[string, unknown]>();
        for (const [chunkId, blob] of rows) top.push({ chunkId, score: exactScore(vector, blob) });
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
    async deleteAll(creatorId) {
      // The rows carry the creator: no need for the chunk ids. In slices (D1's per-query limits).
      for (;;) {
        const res = await db
          .prepare("DELETE FROM chunk_vectors WHERE chunk_seq IN (SELECT chunk_seq FROM chunk_vectors WHERE creator_id = ? LIMIT 5000)")
          .bind(creatorId)
          .run();
        if ((res.meta.changes ?? 0) < 5000) break;
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
