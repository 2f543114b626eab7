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

/** Porter stem (the FTS5 `porter` tokenizer's algorithm), so our counts agree with what MATCH finds. */
export const porter = (word: string): string => stemmer(word);

/** BM25's idf, floored at a small positive weight so very common words still count a little. */
export function idf(stats: TermStats, stem: string): number {
  const d = stats.df.get(stem) ?? 0;
  return Math.max(0.05, Math.log(1 + (stats.n - d + 0.5) / (d + 0.5)));
}

const quote = (word: string) => `"${word.replace(/"/g, "")}"`;

/**
 * Statistics for the given words (a representative surface word per stem), within the creator and,
 * when named, the knowledge bases. One D1 batch: N, average length, and one count per word.
 */
export async function termStats(env: Env, creatorId: string, wordsByStem: Map<string, string>, kbIds?: string[]): Promise<TermStats> {
  const kbFilter = kbIds?.length ? ` AND c.knowledge_base_id IN (${kbIds.map(() => "?").join(",")})` : "";
  const kbBinds = kbIds?.length ? kbIds : [];
  const entries = [...wordsByStem.entries()];
  const results = await env.DB.batch([
    env.DB.prepare(`SELECT count(*) AS n, coalesce(avg(length(c.content) + length(c.heading)), 1) AS len FROM knowledge_chunks c WHERE c.creator_id = ?${kbFilter}`).bind(
      creatorId,
      ...kbBinds,
    ),
    ...entries.map(([, word]) =>
      env.DB.prepare(
        `SELECT count(*) AS n FROM knowledge_chunks_fts f JOIN knowledge_chunks c ON c.seq = f.rowid WHERE knowledge_chunks_fts MATCH ? AND c.creator_id = ?${kbFilter}`,
      ).bind(quote(word), creatorId, ...kbBinds),
    ),
  ]);
  const head = results[0]!.results[0] as { n: number; len: number };
  return {
    n: head.n,
    avgChars: Math.max(1, head.len),
    df: new Map(entries.map(([s], i) => [s, (results[i + 1]!.results[0] as { n: number }).n])),
  };
}
