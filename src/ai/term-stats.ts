// Per-tenant term statistics (chunk count, average length, document frequency per stem) for BM25,
// the query vector's IDF and the answerability evidence. Read from the FTS5 index but always counted
// within one creator's chunks: FTS5's own bm25() uses whole-table statistics, which would let one
// tenant's uploads change (and reveal through scores) another tenant's ranking.
import { stemmer } from "stemmer";
import type { Env } from "../env";

export interface TermStats {
  /** The creator's chunks in scope. */
  n: number;
  /** Average chunk length in characters (content + heading): BM25's length normalisation is a ratio. */
  avgChars: number;
  /** Chunks in scope that contain the stem (0 when none). */
  df: Map<string, number>;
}

/**
 * Porter stem (the FTS5 `porter` tokenizer's algorithm), so our counts agree with what MATCH finds.
 * Memoised: BM25 stems every word of every candidate chunk on each search, mostly words stemmed
 * before (a CPU profile of the SciFact benchmark's searches was led by `stemmer`). Bounded: cleared
 * when full (clearing costs one re-stem per word).
 */
const STEM_CACHE_MAX = 100_000;
const stems = new Map<string, string>();
export function porter(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size >= STEM_CACHE_MAX) stems.clear();
    s = stemmer(word);
    stems.set(word, s);
  }
  return s;
}

/** BM25's idf, floored at a small positive weight so very common words still count a little. */
export function idf(stats: TermStats, stem: string): number {
  const d = stats.df.get(stem) ?? 0;
  return Math.max(0.05, Math.log(1 + (stats.n - d + 0.5) / (d + 0.5)));
}

const quote = (word: string) => `"${word.replace(/"/g, "")}"`;

/**
 * Counts kept per scope (creator, knowledge bases, their revisions) in the isolate: every upload,
 * reprocess or delete bumps a base's revision, so a kept count is never stale for its key. A search
 * then only asks D1 for the words it hasn't counted yet (SciFact: most query words recur). Bounded.
 */
interface KeptStats {
  n: number;
  avgChars: number;
  df: Map<string, number>;
}
const MAX_SCOPES = 64;
const MAX_WORDS_PER_SCOPE = 50_000;
const kept = new Map<string, KeptStats>();

/** Forgets every kept count (tests). */
export function clearTermStatsCache() {
  kept.clear();
}

/**
 * Statistics for the given words (a representative surface word per stem), within the creator and,
 * when named, the knowledge bases. One D1 batch: N, average length, and one count per word not yet
 * counted for this scope. `revisions` (the bases' revisions, as the search cache keys them) lets the
 * counts be kept; without it every count is read.
 */
export async function termStats(env: Env, creatorId: string, wordsByStem: Map<string, string>, kbIds?: string[], revisions?: string): Promise<TermStats> {
  const kbFilter = kbIds?.length ? ` AND c.knowledge_base_id IN (${kbIds.map(() => "?").join(",")})` : "";
  const kbBinds = kbIds?.length ? kbIds : [];
  const entries = [...wordsByStem.entries()];
  const scopeKey = revisions === undefined ? undefined : `${creatorId}|${kbIds?.length ? kbIds.join(",") : "*"}|${revisions}`;
  const have = scopeKey ? kept.get(scopeKey) : undefined;
  const missing = have ? entries.filter(([, word]) => !have.df.has(word)) : entries;
  const results = missing.length || !have
    ? await env.DB.batch([
        env.DB.prepare(`SELECT count(*) AS n, coalesce(avg(length(c.content) + length(c.heading)), 1) AS len FROM knowledge_chunks c WHERE c.creator_id = ?${kbFilter}`).bind(
          creatorId,
          ...kbBinds,
        ),
        ...missing.map(([, word]) =>
          env.DB.prepare(
            `SELECT count(*) AS n FROM knowledge_chunks_fts f JOIN knowledge_chunks c ON c.seq = f.rowid WHERE knowledge_chunks_fts MATCH ? AND c.creator_id = ?${kbFilter}`,
          ).bind(quote(word), creatorId, ...kbBinds),
        ),
      ])
    : [];
  // N and the average come from the first read of a scope (a later read in the same revision can only agree).
  const head = have ?? { n: (results[0]!.results[0] as { n: number; len: number }).n, avgChars: Math.max(1, (results[0]!.results[0] as { len: number }).len), df: new Map<string, number>() };
  const counted = new Map(missing.map(([, word], i) => [word, (results[i + 1]!.results[0] as { n: number }).n]));
  if (scopeKey) {
    if (!have) {
      kept.set(scopeKey, head);
      for (const k of kept.keys()) {
        if (kept.size <= MAX_SCOPES) break;
        kept.delete(k);
      }
    }
    if (head.df.size + counted.size > MAX_WORDS_PER_SCOPE) head.df.clear();
    for (const [word, n] of counted) head.df.set(word, n);
  }
  return {
    n: head.n,
    avgChars: head.avgChars,
    df: new Map(entries.map(([s, word]) => [s, counted.get(word) ?? head.df.get(word) ?? 0])),
  };
}
