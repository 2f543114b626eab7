// VECTOR_STORE=d1: vectors in D1, cosine in the Worker, in two stages so a query reads little:
//  1. scan: each row also holds a 128 B ternary sketch (./sketch.ts), covered by the scan index; a
//     page of sketches comes back from one batch as a few long "seq:HEX" texts, is scored with a
//     per-query lookup table, and a bounded heap keeps the best `oversample × k` candidates;
//  2. rescore: the candidates' int8 vectors (round(x × 127)) give the exact cosines — only the bytes
//     of the query's non-zero dimensions when the query is sparse; the top k are returned.
// Memory is one page plus the heap whatever the knowledge base's size. Documented limit: 100,000
// chunks per creator (7 pages of 16,000 sketches; bench/README.md has the timings).
import { exactScoreHex, rescoreDimensions, scoreSketches, sketchScore, sketchScorer, toInt8, toSketch } from "./sketch";
import { TopK, type VectorMatch, type VectorQuery, type VectorRecord, type VectorStore } from "./types";

const INSERT_BATCH = 50;
// D1 allows 100 bound parameters per statement.
const MAX_IN = 80;
/** Candidates kept from the sketch scan per result asked for (and at least MIN_CANDIDATES). */
const OVERSAMPLE = 8;
const MIN_CANDIDATES = 400;
/** Characters of sketch text per statement of a scan page: below D1's 2 MB limit on a value. */
const SLICE_CHARS = 1_500_000;

/** a || b || …, nested as a balanced tree: D1 allows expression trees 100 deep. */
function concatenated(parts: string[]): string {
  if (parts.length === 1) return parts[0]!;
  const mid = parts.length >> 1;
  return `(${concatenated(parts.slice(0, mid))} || ${concatenated(parts.slice(mid))})`;
}

/**
 * A knowledge base's sketches as scanned, kept in the isolate until the base's revision changes (every
 * upload, reprocess or delete bumps it): a search then scores them in memory instead of reading ~2.7 MB
 * of sketch text from D1 per 10,000 chunks. Only a hint: rescoring and the chunk lookup still read D1,
 * so a chunk deleted since is never returned. Bounded (least recently used out first): 128 B sketches
 * are 256 hex characters, so the bound holds ~60,000 chunks' sketches (~16 MB of an isolate's 128).
 */
interface ScannedBase {
  seqs: Int32Array;
  /** The sketches back to back, `hexLength` characters each. */
  hex: string;
  hexLength: number;
}
const SCAN_CACHE_CHARS = 16_000_000;
const scanCache = new Map<string, ScannedBase>();
let scanCacheChars = 0;

function cachedScan(key: string): ScannedBase | undefined {
  const hit = scanCache.get(key);
  if (hit) {
    scanCache.delete(key);
    scanCache.set(key, hit);
  }
  return hit;
}

function keepScan(key: string, scanned: ScannedBase) {
  if (scanned.hex.length > SCAN_CACHE_CHARS) return;
  const old = scanCache.get(key);
  if (old) scanCacheChars -= old.hex.length;
  scanCache.set(key, scanned);
  scanCacheChars += scanned.hex.length;
  for (const [k, v] of scanCache) {
    if (scanCacheChars <= SCAN_CACHE_CHARS) break;
    scanCache.delete(k);
    scanCacheChars -= v.hex.length;
  }
}

/** Forgets every kept scan (tests). */
export function clearScanCache() {
  scanCache.clear();
  scanCacheChars = 0;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function d1VectorStore(db: D1Database, pageSize: number, sliceChars = SLICE_CHARS): VectorStore {
  const insert = (creatorId: string, r: Omit<VectorRecord, "chunkSeq">) => [r.values.length, toInt8(r.values), toSketch(r.values), r.chunkId, creatorId] as const;
  return {
    name: "d1",
    async upsert(creatorId, records) {
      for (let i = 0; i < records.length; i += INSERT_BATCH) {
        const stmts = records.slice(i, i + INSERT_BATCH).map((r) =>
          db
            .prepare(
              "INSERT OR REPLACE INTO chunk_vectors (chunk_seq, chunk_id, creator_id, knowledge_base_id, document_id, dimensions, embedding, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(r.chunkSeq, r.chunkId, creatorId, r.knowledgeBaseId, r.documentId, r.values.length, toInt8(r.values), toSketch(r.values)),
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
      const scorer = sketchScorer(vector);
      const candidates = new TopK<{ seq: number; score: number }>(Math.max(q.topK * OVERSAMPLE, MIN_CANDIDATES));
      const keep = (seq: number, score: number) => {
        if (score > candidates.threshold) candidates.push({ seq, score });
      };
      // Sketches per slice: ~1.5 MB of text whatever the dimensions.
      const slice = Math.max(1, Math.min(pageSize, Math.floor(sliceChars / (scorer.hexLength + 12))));
      // One knowledge base at a time keeps the scan on the covering (creator, kb, seq, document, sketch) index.
      for (const kbId of q.knowledgeBaseIds) {
        const revision = q.revisions?.[kbId];
        const cacheKey = revision !== undefined && !q.documentIds ? `${creatorId}:${kbId}:${revision}:${scorer.hexLength}` : undefined;
        const kept = cacheKey ? cachedScan(cacheKey) : undefined;
        if (kept) {
          for (let i = 0; i < kept.seqs.length; i++) keep(kept.seqs[i]!, sketchScore(scorer, kept.hex, i * kept.hexLength));
          continue;
        }
        // What this scan reads, kept for the next search of the same revision.
        const seen: { seqs: number[]; hex: string[] } | undefined = cacheKey ? { seqs: [], hex: [] } : undefined;
        const collect = seen
          ? (items: string) => {
              let start = 0;
              while (start < items.length) {
                const colon = items.indexOf(":", start);
                let end = items.indexOf(",", colon);
                if (end < 0) end = items.length;
                if (end - colon - 1 === scorer.hexLength) {
                  seen.seqs.push(Number(items.slice(start, colon)));
                  seen.hex.push(items.slice(colon + 1, end));
                }
                start = end + 1;
              }
            }
          : undefined;
        for (const docs of q.documentIds ? chunk(q.documentIds, MAX_IN) : [undefined]) {
          // Numbered parameters: the filter appears twice (a slice's bound and its rows).
          const where = `creator_id = ?1 AND knowledge_base_id = ?2${docs ? ` AND document_id IN (${docs.map((_, i) => `?${i + 4}`).join(",")})` : ""}`;
          let after = -1;
          for (;;) {
            // A page is one batch (one round trip) of slices; a slice comes back as one row of
            // "seq:HEX" items joined by commas. Local D1 hands BLOBs over as JSON arrays of numbers
            // (~3.5 characters a byte) and each row has its own cost; hex text is 2 characters a
            // byte. A slice starts after the seq that ends the previous one (found on the index
            // alone: no OFFSET over sketches) and stays far below D1's 2 MB limit on a value.
            const statements = Array.from({ length: Math.ceil(pageSize / slice) }, (_, i) => {
              const bound =
                i === 0 ? "?3" : `ifnull((SELECT chunk_seq FROM chunk_vectors WHERE ${where} AND chunk_seq > ?3 ORDER BY chunk_seq LIMIT 1 OFFSET ${i * slice - 1}), ${Number.MAX_SAFE_INTEGER})`;
              return db
                .prepare(
                  `SELECT count(*) AS n, max(chunk_seq) AS last, group_concat(chunk_seq || ':' || hex(sketch)) AS items
                   FROM (SELECT chunk_seq, sketch FROM chunk_vectors WHERE ${where} AND chunk_seq > ${bound} ORDER BY chunk_seq LIMIT ${slice})`,
                )
                .bind(creatorId, kbId, after, ...(docs ?? []));
            });
            let full = true;
            for (const result of await db.batch<{ n: number; last: number | null; items: string | null }>(statements)) {
              const { n, last, items } = result.results[0] ?? { n: 0, last: null, items: null };
              if (n && items) {
                after = Math.max(after, last!);
                scoreSketches(items, scorer, keep);
                collect?.(items);
              }
              if (n < slice) full = false;
            }
            if (!full) break;
          }
        }
        if (cacheKey && seen) keepScan(cacheKey, { seqs: Int32Array.from(seen.seqs), hex: seen.hex.join(""), hexLength: scorer.hexLength });
      }
      const seqs = candidates.sorted().map((c) => c.seq);
      if (!seqs.length) return [];
      // Rescoring in one statement (the seqs as one JSON parameter); a sparse query reads only the
      // bytes of its non-zero dimensions (rows of other dimensions are left out).
      const dims = rescoreDimensions(vector);
      const bytes = dims ? concatenated(dims.map((d) => `hex(substr(embedding, ${d + 1}, 1))`)) : "hex(embedding)";
      const rows = await db
        .prepare(
          `SELECT chunk_id, ${bytes} FROM chunk_vectors WHERE +creator_id = ? AND chunk_seq IN (SELECT value FROM json_each(?))${dims ? " AND length(embedding) = ?" : ""}`,
        )
        .bind(creatorId, JSON.stringify(seqs), ...(dims ? [vector.length] : []))
        .raw<[string, string]>();
      const top = new TopK<VectorMatch>(q.topK);
      for (const [chunkId, hex] of rows) top.push({ chunkId, score: exactScoreHex(vector, hex, dims) });
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
