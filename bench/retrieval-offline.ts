// Offline tuning harness (not the benchmark of record): the product's chunker, tokenizer, FTS query,
// local embeddings, bm25Score and fusion (`fuse`), over SQLite FTS5 in Node, on SciFact train or test. Fast to iterate on.
// Run: npx esbuild bench/retrieval-offline.ts --bundle --platform=node --format=esm --outfile=/tmp/ro.mjs && node /tmp/ro.mjs [train|test]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { localEmbedding } from "../src/ai/providers/local";
import { stem, terms } from "../src/ai/text";
import { bm25FromCounts, termCounts, type TermCounts, BM25_B, BM25_K1, FUSION, fuse, ftsQuery, HEADING_WEIGHT, type FusionKind } from "../src/ai/retrieve";
import { expandQuery } from "../src/ai/synonyms";
import { porter, type TermStats } from "../src/ai/term-stats";
import { chunkSections } from "../src/modules/knowledge/chunk";
import { markdownSections } from "../src/modules/knowledge/extract";

const DATA = process.env.SCIFACT_DIR ?? "/work/shared/datasets/scifact";
const split = process.argv[2] ?? "train";
const dims = Number(process.env.DIMS ?? 2048);
const fw = process.env.FW ? (([word, bigram, trigram]) => ({ word: word!, bigram: bigram!, trigram: trigram! }))(process.env.FW.split(",").map(Number)) : undefined;
const readJsonl = (f: string) => readFileSync(join(DATA, f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const corpus = readJsonl("corpus.jsonl") as { _id: string; title: string; text: string }[];
const queries = readJsonl(`queries-${split}.jsonl`) as { _id: string; text: string }[];
const qrels = new Map<string, Set<string>>();
for (const line of readFileSync(join(DATA, "qrels", `${split}.tsv`), "utf8").split("\n").slice(1)) {
  const [q, d, s] = line.split("\t");
  if (!q || !d || Number(s) <= 0) continue;
  if (!qrels.has(q)) qrels.set(q, new Set());
  qrels.get(q)!.add(d);
}
// MAXQ=N: the first N judged queries only (a quicker grid; say so when reporting).
const evalQ = queries.filter((q) => qrels.has(q._id)).slice(0, Number(process.env.MAXQ ?? Infinity));

const db = new DatabaseSync(":memory:");
db.exec("CREATE VIRTUAL TABLE f USING fts5(content, heading, tokenize='porter unicode61 remove_diacritics 2')");
const insert = db.prepare("INSERT INTO f(rowid, content, heading) VALUES (?, ?, ?)");
const chunkDoc: string[] = [];
const chunkText: [string, string][] = [];
const vectors: Float32Array[] = [];
let t0 = performance.now();
for (const doc of corpus) {
  for (const c of chunkSections(markdownSections(`# ${doc.title}\n\n${doc.text}`), { chunkSize: 1000, chunkOverlap: 200 })) {
    insert.run(chunkDoc.length, c.content, c.heading);
    chunkText.push([c.content, c.heading]);
    chunkDoc.push(doc._id);
    vectors.push(localEmbedding(`${c.heading}\n${c.content}`, dims, fw));
  }
}
const df = new Map<string, number>();
for (const doc of corpus) for (const t of new Set(terms(`${doc.title} ${doc.text}`).map(stem))) df.set(t, (df.get(t) ?? 0) + 1);
const N = corpus.length;
const idf = (t: string) => Math.log(1 + (N - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5));
const useIdf = process.env.IDF !== "0";
console.log(`chunks ${chunkDoc.length} indexed in ${Math.round(performance.now() - t0)} ms`);
const bm25 = db.prepare("SELECT rowid, bm25(f, 1.0, 0.5) AS r FROM f WHERE f MATCH ? ORDER BY r LIMIT 300");
// JSBM25=1: the product's lexical list (src/ai/retrieve.ts): FTS5 candidates rescored with bm25Score and
// collection statistics (here the whole corpus is one tenant); EXPAND=1 adds the WordNet expansion.
const JSBM25 = process.env.JSBM25 === "1";
const EXPAND = process.env.EXPAND === "1";
const chunkDf = new Map<string, number>();
let totalChars = 0;
if (JSBM25) {
  for (const [content, heading] of chunkText) {
    totalChars += content.length + heading.length;
    for (const s of new Set(`${content} ${heading}`.toLowerCase().normalize("NFKD").replace(/\p{M}+/gu, "").match(/[\p{L}\p{N}]+/gu)?.map(porter) ?? [])) chunkDf.set(s, (chunkDf.get(s) ?? 0) + 1);
  }
}
const stats: TermStats = { n: chunkText.length, avgChars: totalChars / Math.max(1, chunkText.length), df: chunkDf };

function ndcg(ranked: string[], rel: Set<string>) {
  let dcg = 0, idcg = 0;
  ranked.slice(0, 10).forEach((d, i) => rel.has(d) && (dcg += 1 / Math.log2(i + 2)));
  for (let i = 0; i < Math.min(10, rel.size); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}
const recall = (ranked: string[], rel: Set<string>) => ranked.slice(0, 100).filter((d) => rel.has(d)).length / rel.size;
const docsOf = (rows: number[]) => [...new Set(rows.map((r) => chunkDoc[r]!))];

// Without GRID, the product's defaults unless overridden: W=bm25,vector fusion weights, FUSION=rrf|zscore, K1, B, HW.
const weights = (process.env.W ?? `${FUSION.bm25},${FUSION.vector}`).split(",").map(Number);
const K1 = process.env.K1 ? Number(process.env.K1) : undefined;
const B = process.env.B ? Number(process.env.B) : undefined;
const FUSION_KIND = (process.env.FUSION ?? FUSION.kind) as FusionKind;
// GRID: configurations evaluated side by side on the same vector lists (the slow half is computed once a
// query), e.g. GRID='[{"hw":0.5},{"hw":1},{"hw":0.5,"prf":[3,10,0.3]}]'. hw: heading weight in bm25Score;
// prf [k, m, beta]: pseudo-relevance feedback (RM3-like) — the m terms with the highest tf·idf in the top
// k chunks of the first hybrid list join the lexical query at weight beta, and the lexical list is re-run.
// k1, b: BM25's; fusion: "rrf" or "zscore" (src/ai/retrieve.ts `fuse`), wv: the vector list's weight (BM25's is 1).
// Unset fields take the env/product defaults. Without GRID: one configuration from HW, PRF=k,m,beta and the above.
type Config = { hw?: number; k1?: number; b?: number; fusion?: FusionKind; wv?: number; prf?: [number, number, number] };
const grid: Config[] = (
  process.env.GRID
    ? (JSON.parse(process.env.GRID) as Config[])
    : [{ hw: process.env.HW ? Number(process.env.HW) : undefined, prf: process.env.PRF ? (process.env.PRF.split(",").map(Number) as [number, number, number]) : undefined }]
).map((c) => ({ hw: c.hw ?? HEADING_WEIGHT, k1: c.k1 ?? K1 ?? BM25_K1, b: c.b ?? B ?? BM25_B, fusion: c.fusion ?? FUSION_KIND, wv: c.wv ?? weights[1]! / weights[0]!, prf: c.prf }));
const label = (c: Config) => `k1=${c.k1} b=${c.b} hw=${c.hw} ${c.fusion}:1:${c.wv}${c.prf ? ` prf=${c.prf.join(":")}` : ""}`;
const totals = grid.map(() => ({ bm25: [0, 0], vector: [0, 0], hybrid: [0, 0] }) as Record<string, [number, number]>);
t0 = performance.now();
for (const q of evalQ) {
  const qv = localEmbedding(q.text, dims, fw, useIdf ? idf : undefined);
  const scored = vectors.map((v, i) => {
    let s = 0;
    for (let j = 0; j < dims; j++) s += v[j]! * qv[j]!;
    return [i, s] as const;
  });
  const semScored = scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 300).map(([id, score]) => ({ id, score }));
  const sem = semScored.map((x) => x.id);
  const qts = expandQuery(q.text, EXPAND, 32);
  const rel = qrels.get(q._id)!;
  const ftsCache = new Map<string, number[]>();
  // The product's bm25Score = bm25FromCounts(termCounts(…)): counted once a query and term list, scored per configuration.
  const countCache = new Map<string, TermCounts[]>();
  const candidates = (m: string) => ftsCache.get(m) ?? (ftsCache.set(m, (bm25.all(m) as { rowid: number }[]).map((r) => r.rowid)), ftsCache.get(m)!);
  grid.forEach((c, gi) => {
    // The product's fusion (src/ai/retrieve.ts), on scored lists.
    let lexScored: { id: number; score: number }[] = [];
    const fuseWith = (lexList: { id: number; score: number }[]) => fuse(lexList, semScored, { kind: c.fusion!, bm25: 1, vector: c.wv! }).map((f) => f.id);
    const lexical = (terms_: ReturnType<typeof expandQuery>) => {
      const m = terms_.map((t) => `"${t.word.replace(/"/g, "")}"`).join(" OR ");
      const rows = m ? candidates(m) : [];
      const key = terms_.map((t) => `${t.stem}:${t.weight}`).join(" ");
      let counts = countCache.get(key);
      if (!counts) countCache.set(key, (counts = rows.map((r) => termCounts(chunkText[r]![0], chunkText[r]![1], terms_))));
      lexScored = rows.map((r, i) => ({ id: r, score: bm25FromCounts(counts![i]!, terms_, stats, c.hw, c.k1, c.b) })).sort((a, b) => b.score - a.score || a.id - b.id);
      return lexScored.map((x) => x.id);
    };
    const match = ftsQuery(q.text);
    // Without JSBM25 the lexical list is FTS5's own rank (no scores: fused by rank only, as RRF).
    let lex = JSBM25 ? lexical(qts) : match ? candidates(match) : [];
    if (!JSBM25) lexScored = lex.map((id, i) => ({ id, score: 1 / (i + 1) }));
    const fuseList = () => fuseWith(lexScored);
    let hyb = fuseList();
    if (c.prf && JSBM25) {
      const [k, m, beta] = c.prf;
      const own = new Set(qts.map((t) => t.stem));
      const score = new Map<string, number>();
      const word = new Map<string, string>();
      for (const r of hyb.slice(0, k)) {
        const tf = new Map<string, number>();
        for (const w of terms(`${chunkText[r]![1]} ${chunkText[r]![0]}`)) {
          const st = porter(w);
          if (own.has(st) || /^\d+$/.test(st)) continue;
          tf.set(st, (tf.get(st) ?? 0) + 1);
          word.set(st, w);
        }
        for (const [st, f] of tf) score.set(st, (score.get(st) ?? 0) + (f / (f + 1.2)) * Math.log(1 + (stats.n - (stats.df.get(st) ?? 0) + 0.5) / ((stats.df.get(st) ?? 0) + 0.5)));
      }
      const extra = [...score.entries()].sort((a, b) => b[1] - a[1]).slice(0, m).map(([st]) => ({ word: word.get(st)!, stem: st, weight: beta }));
      lex = lexical([...qts, ...extra]);
      hyb = fuseList();
    }
    for (const [name, rows] of [["bm25", lex], ["vector", sem], ["hybrid", hyb]] as const) {
      const docs = docsOf(rows);
      totals[gi]![name]![0] += ndcg(docs, rel);
      totals[gi]![name]![1] += recall(docs, rel);
    }
  });
}
grid.forEach((c, gi) => {
  for (const [k, [n, r]] of Object.entries(totals[gi]!)) console.log(`${split} ${label(c)} ${k}: nDCG@10 ${(n / evalQ.length).toFixed(4)}  Recall@100 ${(r / evalQ.length).toFixed(4)}`);
});
console.log(`${evalQ.length} queries in ${Math.round(performance.now() - t0)} ms`);
