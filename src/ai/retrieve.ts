// Hybrid retrieval: BM25 over FTS5 matches and vector similarity, fused (z-score fusion, `fuse`), always
// scoped to the creator (and the named knowledge bases / metadata filters); cached per knowledge-base
// revision. BM25 is scored here with the creator's own term statistics (src/ai/term-stats.ts), never
// FTS5's whole-table bm25(), so no tenant's uploads shape or reveal another's ranking.
import { and, asc, eq, inArray } from "drizzle-orm";
import { tenant } from "../db/client";
import { knowledgeBases } from "../db/schema";
import type { Env } from "../env";
import { config } from "../config";
import { invalid, notFound } from "../lib/errors";
import { aiProvider } from "./providers";
import { cachedSearch } from "./search-cache";
import { expandQuery, type QueryTerm } from "./synonyms";
import { idf as idfOf, porter, termStats, type TermStats } from "./term-stats";
import { stem, terms, words } from "./text";
import { vectorStore } from "./vector-store";

export type SearchMode = "hybrid" | "bm25" | "vector";
export type MetadataFilter = Record<string, string | number | boolean>;

export interface SearchInput {
  query: string;
  limit: number;
  knowledgeBaseIds?: string[];
  metadata?: MetadataFilter;
  mode?: SearchMode;
  /** Add WordNet synonyms of the query's words (weighted below the words themselves); the answer pipeline does. */
  expand?: boolean;
  /** "public": only knowledge bases visitors may be answered from (widget, Telegram, WhatsApp). */
  audience?: "public";
}

export interface SearchHit {
  chunk_id: string;
  document_id: string;
  document_title: string;
  knowledge_base_id: string;
  chunk_index: number;
  heading: string;
  content: string;
  snippet: string;
  /** Fused score (higher is better; see `FUSION`: z-score fusion through a logistic, 0..1). */
  score: number;
  /** BM25 relevance with the creator's own statistics (higher is better); null when the chunk had no lexical match. */
  bm25_score: number | null;
  /** Cosine similarity with the query; null when the chunk wasn't among the vector candidates. */
  vector_score: number | null;
  /** Fraction of the query's content words found in the chunk. */
  term_coverage: number;
  metadata: Record<string, unknown>;
}

export interface SearchResult {
  query: string;
  mode: SearchMode;
  results: SearchHit[];
  total: number;
  cache_hit: boolean;
  took_ms: number;
}

// How the BM25 and vector lists are fused (chosen on SciFact's train split, bench/README.md "SciFact round 4").
export type FusionKind = "rrf" | "zscore";
export interface Fusion {
  kind: FusionKind;
  /** Weight of the BM25 list. */
  bm25: number;
  /** Weight of the vector list. */
  vector: number;
}
// RRF constant from Cormack et al. (2009); the usual choice.
export const RRF_K = 60;
/**
 * The default: z-score fusion, BM25 1 : vector 0.2. Each list's scores are standardised (minus the
 * list's mean, over its standard deviation) and summed with the weights; a candidate missing from a
 * list counts that list's lowest standardised score. Unlike RRF it keeps how far apart the scores
 * are, so a BM25 hit that stands out isn't overtaken by a middling vector neighbour; the local hashed
 * vectors are a second, weaker lexical model, hence the small weight.
 */
export const FUSION: Fusion = { kind: "zscore", bm25: 1, vector: 0.2 };

export interface Fused<K> {
  id: K;
  /** The fused score, higher is better: RRF's sum, or for z-score fusion the weighted sum through a logistic (0..1). */
  score: number;
  bm25: number | null;
  vector: number | null;
}

function standardised(list: { score: number }[]): { z: number[]; min: number } {
  if (!list.length) return { z: [], min: 0 };
  const mean = list.reduce((s, m) => s + m.score, 0) / list.length;
  const sd = Math.sqrt(list.reduce((s, m) => s + (m.score - mean) ** 2, 0) / list.length);
  // One candidate, or all equal: no spread to standardise by, so the list adds nothing to the order.
  const z = list.map((m) => (sd > 1e-12 ? (m.score - mean) / sd : 0));
  return { z, min: Math.min(...z) };
}

/**
 * Fuses a lexical and a vector candidate list (each best first) into one, best first. Either list may
 * be empty; ties are broken by id, so the order is deterministic.
 */
export function fuse<K extends string | number>(lexical: { id: K; score: number }[], semantic: { id: K; score: number }[], fusion: Fusion = FUSION): Fused<K>[] {
  const out = new Map<K, Fused<K> & { sum: number; inLex: boolean; inSem: boolean }>();
  const entry = (id: K) => {
    let e = out.get(id);
    if (!e) out.set(id, (e = { id, score: 0, bm25: null, vector: null, sum: 0, inLex: false, inSem: false }));
    return e;
  };
  if (fusion.kind === "rrf") {
    lexical.forEach((m, rank) => {
      const e = entry(m.id);
      e.sum += fusion.bm25 / (RRF_K + rank + 1);
      e.bm25 = m.score;
    });
    semantic.forEach((m, rank) => {
      const e = entry(m.id);
      e.sum += fusion.vector / (RRF_K + rank + 1);
      e.vector = m.score;
    });
    for (const e of out.values()) e.score = e.sum;
  } else {
    const lex = standardised(lexical);
    const sem = standardised(semantic);
    lexical.forEach((m, i) => {
      const e = entry(m.id);
      e.sum += fusion.bm25 * lex.z[i]!;
      e.bm25 = m.score;
      e.inLex = true;
    });
    semantic.forEach((m, i) => {
      const e = entry(m.id);
      e.sum += fusion.vector * sem.z[i]!;
      e.vector = m.score;
      e.inSem = true;
    });
    for (const e of out.values()) {
      if (!e.inLex && lexical.length) e.sum += fusion.bm25 * lex.min;
      if (!e.inSem && semantic.length) e.sum += fusion.vector * sem.min;
      e.score = 1 / (1 + Math.exp(-e.sum));
    }
  }
  return [...out.values()]
    .sort((a, b) => b.sum - a.sum || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ id, score, bm25, vector }) => ({ id, score, bm25, vector }));
}

const MAX_QUERY_TERMS = 32;
const MAX_IN = 80;

/** An FTS5 MATCH expression: every content word quoted (no operator injection), OR-ed for recall. */
export function ftsQuery(query: string): string | undefined {
  const unique = [...new Set(terms(query))].slice(0, MAX_QUERY_TERMS);
  return unique.length ? unique.map((t) => `"${t.replace(/"/g, "")}"`).join(" OR ") : undefined;
}

const matchOf = (qts: QueryTerm[]) => (qts.length ? qts.map((t) => `"${t.word.replace(/"/g, "")}"`).join(" OR ") : undefined);

// BM25 parameters, chosen on SciFact's train split (bench/README.md "SciFact round 4"): k1 1.2 (the usual),
// b 0.9 (a little more length normalisation than the usual 0.75), and a heading (a document's title)
// counting as two body occurrences (0.5 before).
export const BM25_K1 = 1.2;
export const BM25_B = 0.9;
export const HEADING_WEIGHT = 2;

/** How often each query stem occurs in a chunk's body and heading, and the chunk's length in characters. */
export interface TermCounts {
  body: Map<string, number>;
  heading: Map<string, number>;
  chars: number;
}

/** The counts BM25 needs (only the query's stems are counted: a chunk's other words cost one memoised stem and a set test). */
export function termCounts(content: string, heading: string, qts: QueryTerm[]): TermCounts {
  const wanted = new Set(qts.map((t) => t.stem));
  const count = (text: string) => {
    const tf = new Map<string, number>();
    for (const w of words(text)) {
      const s = porter(w);
      if (wanted.has(s)) tf.set(s, (tf.get(s) ?? 0) + 1);
    }
    return tf;
  };
  return { body: count(content), heading: count(heading), chars: content.length + heading.length };
}

/** BM25 from the counts: a heading occurrence counts `headingWeight` body occurrences. */
export function bm25FromCounts(c: TermCounts, qts: QueryTerm[], stats: TermStats, headingWeight = HEADING_WEIGHT, k1 = BM25_K1, b = BM25_B): number {
  const norm = k1 * (1 - b + (b * c.chars) / stats.avgChars);
  let score = 0;
  for (const t of qts) {
    const f = (c.body.get(t.stem) ?? 0) + headingWeight * (c.heading.get(t.stem) ?? 0);
    if (f) score += t.weight * idfOf(stats, t.stem) * ((f * (k1 + 1)) / (f + norm));
  }
  return score;
}

/** BM25 of one chunk for the query terms, with the creator's statistics. */
export function bm25Score(content: string, heading: string, qts: QueryTerm[], stats: TermStats, headingWeight = HEADING_WEIGHT, k1 = BM25_K1, b = BM25_B): number {
  return bm25FromCounts(termCounts(content, heading, qts), qts, stats, headingWeight, k1, b);
}

/**
 * Lexical candidates: FTS5 finds the creator's matching chunks, we score them. Which k chunks are
 * candidates comes from FTS5's rank only when the creator has more than k matches; scores and order
 * always come from the creator's own statistics.
 */
async function bm25Candidates(env: Env, creatorId: string, qts: QueryTerm[], kbIds: string[] | undefined, docIds: string[] | undefined, k: number, revisions?: string) {
  const match = matchOf(qts);
  if (!match) return [];
  const stats = await termStats(env, creatorId, new Map(qts.map((t) => [t.stem, t.word])), kbIds, revisions);
  // Document filters go in groups (D1 binds at most 100 parameters).
  const groups: (string[] | undefined)[] = [];
  if (docIds) for (let i = 0; i < docIds.length; i += MAX_IN) groups.push(docIds.slice(i, i + MAX_IN));
  else groups.push(undefined);
  const all: { chunkId: string; score: number }[] = [];
  for (const docs of groups) {
    const docFilter = docs ? ` AND c.document_id IN (${docs.map(() => "?").join(",")})` : "";
    const kbFilter = kbIds ? ` AND c.knowledge_base_id IN (${kbIds.map(() => "?").join(",")})` : "";
    const rows = await env.DB.prepare(
      `SELECT c.id, c.content, c.heading FROM knowledge_chunks_fts JOIN knowledge_chunks c ON c.seq = knowledge_chunks_fts.rowid
       WHERE knowledge_chunks_fts MATCH ? AND c.creator_id = ?${kbFilter}${docFilter}
       ORDER BY rank LIMIT ?`,
    )
      .bind(match, creatorId, ...(kbIds ?? []), ...(docs ?? []), k)
      .raw<[string, string, string]>();
    for (const [id, content, heading] of rows) all.push({ chunkId: id, score: bm25Score(content, heading, qts, stats) });
  }
  return all.sort((a, b) => b.score - a.score || (a.chunkId < b.chunkId ? -1 : 1)).slice(0, k);
}

/**
 * The knowledge bases in scope with their revisions (404 for a named base the creator doesn't own, or,
 * for a public audience, one that is internal).
 */
export async function scope(env: Env, creatorId: string, ids?: string[], audience?: "public") {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select({ id: knowledgeBases.id, revision: knowledgeBases.revision })
    .from(knowledgeBases)
    .where(
      t.where(
        knowledgeBases,
        and(ids?.length ? inArray(knowledgeBases.id, ids) : undefined, audience ? eq(knowledgeBases.audience, audience) : undefined),
      ),
    )
    .orderBy(asc(knowledgeBases.id))
    .all();
  if (ids?.length && rows.length !== new Set(ids).size) throw notFound("Knowledge base");
  return rows;
}

async function documentsMatching(env: Env, creatorId: string, kbIds: string[], filter: MetadataFilter): Promise<string[]> {
  const clauses: string[] = [];
  const binds: unknown[] = [creatorId];
  for (const [key, value] of Object.entries(filter)) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(key)) throw invalid([{ field: `filters.metadata.${key}`, message: "Keys are letters, digits, _ and -" }]);
    clauses.push(`json_extract(metadata, ?) = ?`);
    binds.push(`$.${key}`, typeof value === "boolean" ? (value ? 1 : 0) : value);
  }
  const rows = await env.DB.prepare(
    `SELECT id, knowledge_base_id FROM documents WHERE creator_id = ? AND ${clauses.join(" AND ")} LIMIT 1000`,
  )
    .bind(...binds)
    .raw<[string, string]>();
  const inScope = new Set(kbIds);
  return rows.filter((r) => inScope.has(r[1])).map((r) => r[0]);
}

/**
 * The query's vector. For the local provider its words are weighted by IDF, with document
 * frequencies counted within the creator's chunks (the statistics BM25 uses here).
 */
async function queryVector(env: Env, creatorId: string, query: string, kbIds: string[] | undefined, revisions?: string): Promise<Float32Array> {
  const provider = aiProvider(env);
  if (!provider.embedQuery) return (await provider.embed([query]))[0]!;
  const byStem = new Map<string, string>();
  for (const word of terms(query).slice(0, MAX_QUERY_TERMS)) if (!byStem.has(stem(word))) byStem.set(stem(word), word);
  const stats = await termStats(env, creatorId, byStem, kbIds, revisions);
  return provider.embedQuery(query, (s) => (stats.df.has(s) ? idfOf(stats, s) : 1));
}

interface ChunkRow {
  id: string;
  document_id: string;
  knowledge_base_id: string;
  chunk_index: number;
  heading: string;
  content: string;
  metadata: string;
  title: string;
  doc_metadata: string;
}

/** The chunks by id (unique index; the unary + keeps SQLite off the creator index, which scans them all). */
async function loadChunks(env: Env, creatorId: string, ids: string[]): Promise<Map<string, ChunkRow>> {
  const map = new Map<string, ChunkRow>();
  for (let i = 0; i < ids.length; i += MAX_IN) {
    const group = ids.slice(i, i + MAX_IN);
    const rows = await env.DB.prepare(
      `SELECT c.id, c.document_id, c.knowledge_base_id, c.chunk_index, c.heading, c.content, c.metadata, d.title, d.metadata AS doc_metadata
       FROM knowledge_chunks c JOIN documents d ON d.id = c.document_id AND d.creator_id = c.creator_id
       WHERE +c.creator_id = ? AND c.id IN (${group.map(() => "?").join(",")})`,
    )
      .bind(creatorId, ...group)
      .all<ChunkRow>();
    for (const r of rows.results) map.set(r.id, r);
  }
  return map;
}

/** Query words (stemmed) highlighted with <mark>, in a window around the first match. */
export function snippet(content: string, query: string, width = 240): string {
  const wanted = new Set(terms(query).map(stem));
  const tokens = content.split(/([\p{L}\p{N}]+)/u);
  let first = -1;
  let offset = 0;
  const marked = tokens
    .map((tok) => {
      const w = words(tok)[0];
      const hit = w !== undefined && wanted.has(stem(w));
      if (hit && first < 0) first = offset;
      offset += tok.length;
      return hit ? `<mark>${escapeHtml(tok)}</mark>` : escapeHtml(tok);
    })
    .join("");
  if (content.length <= width) return marked;
  // Cut the plain text window, then re-highlight only inside it.
  const start = Math.max(0, (first < 0 ? 0 : first) - Math.floor(width / 3));
  const windowText = content.slice(start, start + width);
  return `${start > 0 ? "…" : ""}${snippet(windowText, query, Number.MAX_SAFE_INTEGER)}${start + width < content.length ? "…" : ""}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function coverage(content: string, heading: string, query: string): number {
  const q = new Set(terms(query).map(stem));
  if (!q.size) return 0;
  const have = new Set(terms(`${heading} ${content}`).map(stem));
  let n = 0;
  for (const t of q) if (have.has(t)) n++;
  return n / q.size;
}

export async function search(env: Env, creatorId: string, input: SearchInput): Promise<SearchResult> {
  const started = performance.now();
  const cfg = config(env).knowledge;
  const mode = input.mode ?? "hybrid";
  const kbs = await scope(env, creatorId, input.knowledgeBaseIds, input.audience);
  const revisions = kbs.map((k) => `${k.id}:${k.revision}`).join(",");
  const params = { q: input.query, limit: input.limit, kb: kbs.map((k) => k.id), md: input.metadata ?? null, mode, x: input.expand ?? false };
  const { value, hit } = await cachedSearch(creatorId, revisions, params, cfg.searchCacheTtlSeconds, () =>
    runSearch(env, creatorId, input, mode, kbs),
  );
  return { query: input.query, mode, results: value, total: value.length, cache_hit: hit, took_ms: Math.round((performance.now() - started) * 100) / 100 };
}

async function runSearch(env: Env, creatorId: string, input: SearchInput, mode: SearchMode, kbs: { id: string; revision: number }[]): Promise<SearchHit[]> {
  const kbIds = kbs.map((k) => k.id);
  if (!kbIds.length) return [];
  // The bases' revisions key what the term statistics and the vector store keep between searches.
  const revisions = kbs.map((k) => `${k.id}:${k.revision}`).join(",");
  let docIds: string[] | undefined;
  if (input.metadata && Object.keys(input.metadata).length) {
    docIds = await documentsMatching(env, creatorId, kbIds, input.metadata);
    if (!docIds.length) return [];
  }
  // Each list contributes more candidates than asked for, so fusion can promote what both agree on.
  const k = Math.min(Math.max(input.limit, 100), 400);
  const qts = expandQuery(input.query, input.expand ?? false, MAX_QUERY_TERMS);
  const scopedKbs = input.knowledgeBaseIds?.length || input.audience ? kbIds : undefined;
  const [lexical, semantic] = await Promise.all([
    mode !== "vector" ? bm25Candidates(env, creatorId, qts, scopedKbs, docIds, k, revisions) : Promise.resolve([]),
    mode !== "bm25"
      ? queryVector(env, creatorId, input.query, scopedKbs, revisions).then((v) =>
          vectorStore(env).query(creatorId, v, { topK: k, knowledgeBaseIds: kbIds, documentIds: docIds, revisions: Object.fromEntries(kbs.map((b) => [b.id, b.revision])) }),
        )
      : Promise.resolve([]),
  ]);
  const top = fuse(
    lexical.map((m) => ({ id: m.chunkId, score: m.score })),
    semantic.map((m) => ({ id: m.chunkId, score: m.score })),
  ).slice(0, input.limit);
  const rows = await loadChunks(env, creatorId, top.map((f) => f.id));
  const hits: SearchHit[] = [];
  for (const { id, ...s } of top) {
    const row = rows.get(id);
    if (!row) continue; // deleted between the index read and now
    hits.push({
      chunk_id: id,
      document_id: row.document_id,
      document_title: row.title,
      knowledge_base_id: row.knowledge_base_id,
      chunk_index: row.chunk_index,
      heading: row.heading,
      content: row.content,
      snippet: snippet(row.content, input.query),
      score: Math.round(s.score * 1e6) / 1e6,
      bm25_score: s.bm25 === null ? null : Number(s.bm25.toPrecision(6)),
      vector_score: s.vector === null ? null : Math.round(s.vector * 1e4) / 1e4,
      term_coverage: Math.round(coverage(row.content, row.heading, input.query) * 100) / 100,
      metadata: { ...safeJson(row.doc_metadata), ...safeJson(row.metadata) },
    });
  }
  return hits;
}

function safeJson(s: string | null): Record<string, unknown> {
  try {
    const v = s ? JSON.parse(s) : {};
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

