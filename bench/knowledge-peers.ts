// The knowledge benchmark's floor and peer, fed the product's own chunks and local vectors:
//   floor — a plain SQLite FTS5 table via better-sqlite3 (BM25 only: the lexical half without the Worker);
//   peer  — Orama (@orama/orama), the JS search library a developer would embed, hybrid over the same
//           chunks (stemmed full text + the same local embedding vectors).
// Imports src/ (extensionless module paths): run under tsx. knowledge.ts loads it dynamically.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, insertMultiple, search } from "@orama/orama";
import { localEmbedding, DEFAULT_WEIGHTS } from "../src/ai/providers/local";
import { ftsQuery } from "../src/ai/retrieve";
import { stem, terms } from "../src/ai/text";
import { chunkSections } from "../src/modules/knowledge/chunk";
import { markdownSections } from "../src/modules/knowledge/extract";
// The ingestion's embedding text (src/modules/knowledge/ingest.ts `embeddingText`), restated: that
// module's imports reach `cloudflare:workers`, which Node can't load.
const embeddingText = (heading: string, content: string) => (heading ? `${heading}\n${content}` : content);
import { nodeForBetterSqlite, pct, ROOT } from "./lib/report.ts";

export interface PeerInput {
  corpus: { _id: string; title: string; text: string }[];
  queries: { _id: string; text: string }[];
  qrels: Map<string, Set<string>>;
  chunkSize: number;
  chunkOverlap: number;
  dims: number;
  ndcgAt10(ranked: string[], relevant: Set<string>): number;
  recallAt100(ranked: string[], relevant: Set<string>): number;
  /** Speed rounds over every query (median of the rounds reported); default 1. */
  rounds?: number;
}

export interface SystemFigures {
  chunks: number;
  ingest_seconds: number;
  chunks_per_second: number;
  ingest_breakdown_ms: Record<string, number>;
  quality: Record<string, { ndcg10: number; recall100: number }>;
  search_limit10_ms: { p50: number; p99: number; mode: string; rounds?: { p50: number; p99: number }[] };
}

const MAX_QUERY_TERMS = 32; // src/ai/retrieve.ts: the query side's cap on words

/** A tiny request/response wrapper over the floor child's IPC channel (one request at a time). */
function floorProcess(dbFile: string) {
  const child: ChildProcess = fork(join(ROOT, "bench", "lib", "fts-floor.cjs"), [dbFile], { execPath: nodeForBetterSqlite(), stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const next = (op: string) =>
    new Promise<any>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`FTS5 floor exited (${code})`));
      child.once("exit", onExit);
      const onMessage = (m: any) => {
        if (m.op !== op) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m);
      };
      child.on("message", onMessage);
    });
  return {
    ready: next("ready"),
    call(msg: { op: string; [k: string]: unknown }) {
      const reply = next(msg.op);
      child.send(msg);
      return reply;
    },
    kill: () => child.kill(),
  };
}

const round = (x: number, d = 1) => Number(x.toFixed(d));

export interface PeerResults {
  floor: SystemFigures;
  peer: SystemFigures;
  sqlite: string;
  orama: string;
}

/**
 * The floor and the peer, indexed and scored (quality is deterministic: one pass each), ready for
 * speed rounds. knowledge.ts calls floorRound() and peerRound() right after each EdgeCoach round
 * (EdgeCoach, floor, peer, repeated), so a change in the machine's load hits all three alike;
 * finish() reports the medians of the rounds. close() frees the floor's process and files.
 */
export interface PeerSession {
  floorRound(): Promise<{ p50: number; p99: number }>;
  peerRound(): Promise<{ p50: number; p99: number }>;
  finish(): Promise<PeerResults>;
  close(): void;
}

const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function preparePeers(input: PeerInput): Promise<PeerSession> {
  const { corpus, queries, qrels, dims } = input;
  // Chunking, shared by both (the product's Markdown sections and chunker, as the ingestion job runs them).
  let t0 = performance.now();
  const docs = corpus.map((d) => chunkSections(markdownSections(`# ${d.title}\n\n${d.text}`), { chunkSize: input.chunkSize, chunkOverlap: input.chunkOverlap }));
  const chunkMs = performance.now() - t0;
  const chunkDoc: string[] = [];
  const rows = docs.map((chunks, i) => chunks.map((c) => (chunkDoc.push(corpus[i]!._id), { rowid: chunkDoc.length - 1, content: c.content, heading: c.heading })));
  const allChunks = rows.flat();
  const docsOf = (ids: number[]) => [...new Set(ids.map((r) => chunkDoc[r]!))];
  const score = (ranked: (q: { _id: string; text: string }, i: number) => string[]) => {
    let ndcg = 0;
    let recall = 0;
    queries.forEach((q, i) => {
      const r = ranked(q, i);
      ndcg += input.ndcgAt10(r, qrels.get(q._id)!);
      recall += input.recallAt100(r, qrels.get(q._id)!);
    });
    return { ndcg10: round(ndcg / queries.length, 4), recall100: round(recall / queries.length, 4) };
  };

  // ---- floor: FTS5 in better-sqlite3 ----
  const dir = mkdtempSync(join(tmpdir(), "edgecoach-bench-fts-"));
  const floor = floorProcess(join(dir, "floor.db"));
  const close = () => {
    floor.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { sqlite } = await floor.ready;
    const indexed = await floor.call({ op: "index", documents: rows });
    const matches = queries.map((q) => ftsQuery(q.text) ?? null);
    const deep = (await floor.call({ op: "search", matches, limit: 300 })).results as { rows: number[] }[];
    const floorQuality = { bm25: score((_, i) => docsOf(deep[i]!.rows)) };

    // The query side's IDF, as the product computes it (chunk counts from the FTS5 index of the same chunks).
    const words = new Map<string, string>();
    for (const q of queries) for (const w of terms(q.text).slice(0, MAX_QUERY_TERMS)) if (!words.has(stem(w))) words.set(stem(w), w);
    const stems = [...words.keys()];
    const dfReply = await floor.call({ op: "df", words: [...words.values()] });
    const df = new Map(stems.map((s, i) => [s, dfReply.df[i] as number]));
    const n = dfReply.n as number;
    const idf = (s: string) => {
      const d = df.get(s);
      return d === undefined ? 1 : Math.max(0.05, Math.log(1 + (n - d + 0.5) / (d + 0.5)));
    };

    // ---- peer: Orama, hybrid over the same chunks and the same local vectors ----
    t0 = performance.now();
    const vectors = allChunks.map((c) => Array.from(localEmbedding(embeddingText(c.heading, c.content), dims)));
    const embedMs = performance.now() - t0;
    t0 = performance.now();
    const db = create({
      schema: { content: "string", heading: "string", embedding: `vector[${dims}]` } as const,
      // Stemming on (English), as FTS5's porter tokenizer: the fair configuration, not Orama's default.
      components: { tokenizer: { stemming: true } },
    });
    await insertMultiple(db, allChunks.map((c, i) => ({ id: String(c.rowid), content: c.content, heading: c.heading, embedding: vectors[i]! })), 500);
    const oramaMs = performance.now() - t0;
    vectors.length = 0;
    const oramaSearch = async (q: string, mode: "hybrid" | "fulltext", limit: number) => {
      const started = performance.now();
      const params =
        mode === "hybrid"
          ? { mode, term: q, vector: { value: localEmbedding(q, dims, DEFAULT_WEIGHTS, idf), property: "embedding" }, similarity: 0, threshold: 1, limit, boost: { heading: 0.5 } }
          : { term: q, threshold: 1, limit, boost: { heading: 0.5 } };
      const res = await search(db, params as any);
      return { ms: performance.now() - started, ids: res.hits.map((h) => Number(h.id)) };
    };
    const hybridDeep: string[][] = [];
    const lexicalDeep: string[][] = [];
    for (const q of queries) hybridDeep.push(docsOf((await oramaSearch(q.text, "hybrid", 300)).ids));
    for (const q of queries) lexicalDeep.push(docsOf((await oramaSearch(q.text, "fulltext", 300)).ids));
    const peerQuality = { bm25: score((_, i) => lexicalDeep[i]!), hybrid: score((_, i) => hybridDeep[i]!) };

    // Speed rounds: every query, limit 10 (floor: BM25, peer: hybrid), called by the caller round by round.
    const floorRounds: { p50: number; p99: number }[] = [];
    const peerRounds: { p50: number; p99: number }[] = [];
    const peerSeconds = (chunkMs + embedMs + oramaMs) / 1000;
    const floorRound = async () => {
        const fast = (await floor.call({ op: "search", matches, limit: 10 })).results as { ms: number }[];
        floorRounds.push({ p50: pct(fast.map((x) => x.ms), 50), p99: pct(fast.map((x) => x.ms), 99) });
        return floorRounds.at(-1)!;
    };
    const peerRound = async () => {
        const times: number[] = [];
        for (const q of queries) times.push((await oramaSearch(q.text, "hybrid", 10)).ms);
        peerRounds.push({ p50: pct(times, 50), p99: pct(times, 99) });
        return peerRounds.at(-1)!;
    };
    return {
      floorRound,
      peerRound,
      async finish() {
        if (!floorRounds.length) await floorRound();
        if (!peerRounds.length) await peerRound();
        const floorFigures: SystemFigures = {
          chunks: allChunks.length,
          ingest_seconds: round((chunkMs + indexed.ms) / 1000, 2),
          chunks_per_second: round(allChunks.length / ((chunkMs + indexed.ms) / 1000)),
          ingest_breakdown_ms: { chunking: round(chunkMs), fts5_insert: round(indexed.ms) },
          quality: floorQuality,
          search_limit10_ms: { mode: "bm25", p50: medianOf(floorRounds.map((x) => x.p50)), p99: medianOf(floorRounds.map((x) => x.p99)), rounds: floorRounds },
        };
        const peerFigures: SystemFigures = {
          chunks: allChunks.length,
          ingest_seconds: round(peerSeconds, 2),
          chunks_per_second: round(allChunks.length / peerSeconds),
          ingest_breakdown_ms: { chunking: round(chunkMs), local_embedding: round(embedMs), orama_insert: round(oramaMs) },
          quality: peerQuality,
          search_limit10_ms: { mode: "hybrid", p50: medianOf(peerRounds.map((x) => x.p50)), p99: medianOf(peerRounds.map((x) => x.p99)), rounds: peerRounds },
        };
        await floor.call({ op: "close" }).catch(() => undefined);
        const orama = (JSON.parse(readFileSync(join(ROOT, "node_modules", "@orama", "orama", "package.json"), "utf8")) as { version: string }).version;
        return { floor: floorFigures, peer: peerFigures, sqlite, orama };
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

/** The floor and the peer alone (no EdgeCoach rounds between theirs): `rounds` rounds of each, alternating. */
export async function runPeers(input: PeerInput): Promise<PeerResults> {
  const session = await preparePeers(input);
  try {
    for (let r = 0; r < Math.max(1, input.rounds ?? 1); r++) {
      await session.floorRound();
      await session.peerRound();
    }
    return await session.finish();
  } finally {
    session.close();
  }
}
