// Knowledge benchmark over a real `wrangler dev` (offline: AI_PROVIDER=local, VECTOR_STORE=d1):
// ingest the SciFact corpus through the upload API and the queue, then measure retrieval quality
// (nDCG@10, Recall@100 for bm25 / vector / hybrid) and speed (chunks/s, search p50/p99, workerd peak RSS).
// In the same run, beside it: the FTS5 floor and the Orama peer over the same chunks and vectors
// (bench/knowledge-peers.ts), the ratios between them, all written to bench/results/knowledge.json.
// Run: npm run bench:knowledge -- [--docs N] [--queries N] [--batch N] [--ingest-only] [--no-peers] [--peers-only]
//   (= tsx bench/knowledge.ts; plain `node bench/knowledge.ts` also works but skips the floor and peer,
//   whose import of src/ needs tsx)
//   --batch N: N files per upload request (POST .../documents/batch); 1 (default) = one single-file upload each.
//   --no-peers: EdgeCoach only; --peers-only: the floor and the peer only (no wrangler dev).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startWranglerDev, ROOT } from "../test/support/wrangler-dev.ts";
import { goal, machine, ratio, writeResult } from "./lib/report.ts";

// The shared datasets sit beside the repository (/work/main → /work/shared) or two levels up from a worktree (/work/wt/<name>).
const DATA = process.env.SCIFACT_DIR ?? [join(ROOT, "..", "shared", "datasets", "scifact"), join(ROOT, "..", "..", "shared", "datasets", "scifact")].find((d) => existsSync(d)) ?? join(ROOT, "..", "shared", "datasets", "scifact");
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MAX_DOCS = arg("docs", Infinity);
const MAX_QUERIES = arg("queries", Infinity);
const FILES_PER_REQUEST = arg("batch", 1);
const INGEST_ONLY = args.includes("--ingest-only");
const PEERS = !args.includes("--no-peers");
const PEERS_ONLY = args.includes("--peers-only");
// --rounds N: the speed measurement (every query, hybrid, limit 10) N times; p50/p99 are the medians of the rounds'.
const ROUNDS = Math.max(1, arg("rounds", 3));
const MACHINE = machine();
const UPLOAD_CONCURRENCY = 8;

const readJsonl = (file: string) => readFileSync(join(DATA, file), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const corpus = readJsonl("corpus.jsonl").slice(0, MAX_DOCS) as { _id: string; title: string; text: string }[];
const queries = readJsonl("queries-test.jsonl") as { _id: string; text: string }[];
const qrels = new Map<string, Set<string>>();
for (const line of readFileSync(join(DATA, "qrels", "test.tsv"), "utf8").split("\n").slice(1)) {
  const [q, d, score] = line.split("\t");
  if (!q || !d || Number(score) <= 0) continue;
  if (!qrels.has(q)) qrels.set(q, new Set());
  qrels.get(q)!.add(d);
}
const inCorpus = new Set(corpus.map((d) => d._id));
const evalQueries = queries.filter((q) => qrels.has(q._id) && [...qrels.get(q._id)!].some((d) => inCorpus.has(d))).slice(0, MAX_QUERIES);

// Peak memory of the workerd process(es) that run the Worker (VmHWM = peak resident set).
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry), ...descendants(Number(entry)));
    } catch {
      /* exited */
    }
  }
  return out;
}
function workerdPeakKb(rootPid: number): number {
  let peak = 0;
  for (const pid of descendants(rootPid)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      if (!/^Name:\s+workerd/m.test(status)) continue;
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      /* exited */
    }
  }
  return peak;
}

/** The machine's 1/5/15-minute load averages (the benchmark shares a 2-core VM). */
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

function ndcgAt10(ranked: string[], relevant: Set<string>): number {
  let dcg = 0;
  ranked.slice(0, 10).forEach((d, i) => {
    if (relevant.has(d)) dcg += 1 / Math.log2(i + 2);
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(10, relevant.size); i++) idcg += 1 / Math.log2(i + 2);
  return idcg ? dcg / idcg : 0;
}
const recallAt100 = (ranked: string[], relevant: Set<string>) => ranked.slice(0, 100).filter((d) => relevant.has(d)).length / relevant.size;

/** The floor and the peer (tsx only: they import the product's chunker and embeddings from src/). */
async function peerModule() {
  if (!PEERS) return undefined;
  try {
    return await import("./knowledge-peers.ts");
  } catch (err) {
    if (String(err).includes("Cannot find module") || String(err).includes("ERR_MODULE_NOT_FOUND")) {
      console.error("floor and peer skipped: run under tsx (npm run bench:knowledge) to import src/");
      return undefined;
    }
    throw err;
  }
}

const peerInput = (dims: number) => ({ corpus, queries: evalQueries, qrels, chunkSize: 1000, chunkOverlap: 200, dims, ndcgAt10, recallAt100, rounds: ROUNDS });
type Others = import("./knowledge-peers.ts").PeerResults | undefined;

/** Ratios first: EdgeCoach against the floor and the peer, with the goals. */
function knowledgeRatios(edge: any, others: Others) {
  if (!others || !edge) return [];
  const { floor, peer } = others;
  const e = edge.quality.hybrid;
  return [
    goal("hybrid nDCG@10: EdgeCoach / Orama peer (quality ≥ peer)", ratio(e.ndcg10, peer.quality.hybrid!.ndcg10), { atLeast: 1 }),
    goal("hybrid Recall@100: EdgeCoach / Orama peer", ratio(e.recall100, peer.quality.hybrid!.recall100), { atLeast: 1 }),
    { name: "nDCG@10: EdgeCoach hybrid / FTS5 floor (BM25)", value: ratio(e.ndcg10, floor.quality.bm25!.ndcg10) },
    { name: "nDCG@10: EdgeCoach BM25 / FTS5 floor (same FTS5 index, through the Worker)", value: ratio(edge.quality.bm25?.ndcg10, floor.quality.bm25!.ndcg10) },
    goal("search p99, limit 10: EdgeCoach hybrid (server took_ms) / FTS5 floor", ratio(edge.search_hybrid_limit10_ms.server_p99, floor.search_limit10_ms.p99), { atMost: 3 }),
    { name: "search p99, limit 10: EdgeCoach hybrid (client, HTTP) / FTS5 floor", value: ratio(edge.search_hybrid_limit10_ms.client_p99, floor.search_limit10_ms.p99) },
    { name: "search p50, limit 10: EdgeCoach hybrid (server) / FTS5 floor", value: ratio(edge.search_hybrid_limit10_ms.server_p50, floor.search_limit10_ms.p50) },
    { name: "search p99, limit 10: EdgeCoach hybrid (server) / Orama hybrid", value: ratio(edge.search_hybrid_limit10_ms.server_p99, peer.search_limit10_ms.p99) },
    goal("ingest chunks/s: EdgeCoach / Orama peer (within 2× = ≥ 0.5)", ratio(edge.chunks_per_second, peer.chunks_per_second), { atLeast: 0.5 }),
    { name: "ingest chunks/s: EdgeCoach / FTS5 floor", value: ratio(edge.chunks_per_second, floor.chunks_per_second) },
  ];
}

function save(edge: any, others: Others) {
  writeResult("knowledge", {
    params: { argv: args, docs: corpus.length, queries: evalQueries.length, batch: FILES_PER_REQUEST, chunk_size: 1000, chunk_overlap: 200, sqlite: others?.sqlite, orama: others?.orama },
    machine: MACHINE,
    systems: {
      ...(edge ? { edgecoach: { system: "EdgeCoach (wrangler dev, local D1 FTS5 + D1 vector store, AI_PROVIDER=local)", ...edge } } : {}),
      ...(others
        ? {
            floor: { system: `SQLite FTS5 via better-sqlite3 (BM25 only, in process), SQLite ${others.sqlite}`, ...others.floor },
            peer: { system: `Orama ${others.orama} (hybrid: stemmed full text + the same local vectors, in process)`, ...others.peer },
          }
        : {}),
    },
    ratios: knowledgeRatios(edge, others),
    notes: [
      "All three index the same chunks (the product's Markdown sections + chunker, chunk_size 1000, overlap 200) and the two hybrids the same local vectors (src/ai/providers/local.ts, query words weighted by the same IDF).",
      "Floor and peer times are in-process (no HTTP); EdgeCoach's server time is its took_ms, the client time includes HTTP through wrangler dev.",
      ...(edge && others
        ? [
            `Same run, interleaved: the floor and the peer were indexed right after EdgeCoach's ingest and quality passes (wrangler dev still running, idle), and the ${ROUNDS} speed rounds alternate EdgeCoach, floor, peer, so a change in load hits all three alike; p50/p99 are the medians of the rounds'. Quality is deterministic: one pass each.`,
          ]
        : []),
    ],
  });
}

async function main() {
  const peersLib = await peerModule();
  if (PEERS_ONLY) return save(undefined, peersLib ? await peersLib.runPeers(peerInput(2048)) : undefined);
  const server = await startWranglerDev({
    vars: { RATE_LIMITS_ENABLED: "false", SEARCH_MAX_LIMIT: "300", SEARCH_CACHE_TTL_SECONDS: "0", CREATOR_UPLOADS_PER_HOUR: "100000" },
    timeoutMs: 120_000,
  });
  const base = server.url;
  let edge: any;
  let peerSession: import("./knowledge-peers.ts").PeerSession | undefined;
  try {
    const email = `bench-${Date.now()}@example.com`;
    const reg = await fetch(`${base}/api/v1/auth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password: "Correct-Horse-Battery-9", full_name: "Bench" }),
    });
    const session = (await reg.json()) as { access_token: string; creator: { id: string } };
    const auth = { Authorization: `Bearer ${session.access_token}` };
    // A full run outlasts the access token (15 min): sign in again when one is refused.
    const signInAgain = async () => {
      const res = await fetch(`${base}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password: "Correct-Horse-Battery-9" }) });
      auth.Authorization = `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
    };
    const kb = (await (
      await fetch(`${base}/api/v1/knowledge-bases`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ name: "SciFact" }) })
    ).json()) as { id: string; settings: unknown };

    // Ingest: one Markdown file per abstract (title as heading), through the queue; single uploads
    // (title field = corpus id) or multi-file uploads (file name = corpus id, the default title).
    const started = performance.now();
    let next = 0;
    let failedUploads = 0;
    let requests = 0;
    const uploader = async () => {
      while (next < corpus.length) {
        const docs = corpus.slice(next, next + FILES_PER_REQUEST);
        next += docs.length;
        const form = new FormData();
        for (const doc of docs) form.append("file", new File([`# ${doc.title}\n\n${doc.text}`], `${doc._id}.md`));
        if (FILES_PER_REQUEST === 1) form.set("title", docs[0]!._id);
        const path = FILES_PER_REQUEST === 1 ? "documents" : "documents/batch";
        const res = await fetch(`${base}/api/v1/knowledge-bases/${kb.id}/${path}`, { method: "POST", headers: auth, body: form });
        requests++;
        if (res.status !== 202) failedUploads += docs.length;
        else if (FILES_PER_REQUEST > 1) failedUploads += ((await res.json()) as { rejected: number }).rejected;
        if (!res.bodyUsed) await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, uploader));
    const uploadedAt = performance.now();
    let completed = 0;
    let failed = 0;
    for (;;) {
      const count = async (status: string) =>
        ((await (await fetch(`${base}/api/v1/knowledge-bases/${kb.id}/documents?status=${status}&limit=1`, { headers: auth })).json()) as any).pagination.total as number;
      completed = await count("completed");
      failed = await count("failed");
      if (completed + failed >= corpus.length - failedUploads) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const ingestSeconds = (performance.now() - started) / 1000;
    const stats = (await (await fetch(`${base}/api/v1/ai/embeddings/stats/${session.creator.id}`, { headers: auth })).json()) as any;
    const chunks = stats.total_chunks ?? 0;
    const ingest = {
      upload_mode: FILES_PER_REQUEST === 1 ? "single-file uploads" : `multi-file uploads (${FILES_PER_REQUEST} files a request)`,
      upload_requests: requests,
      corpus_documents: corpus.length,
      upload_failures: failedUploads,
      documents_completed: completed,
      documents_failed: failed,
      chunks,
      ingest_seconds: Math.round(ingestSeconds * 10) / 10,
      upload_seconds: Math.round(((uploadedAt - started) / 1000) * 10) / 10,
      chunks_per_second: Math.round((chunks / ingestSeconds) * 10) / 10,
      load_average: loadAverage(),
    };
    if (INGEST_ONLY) {
      console.log(JSON.stringify({ ...ingest, workerd_peak_rss_mb: Math.round(workerdPeakKb(server.process.pid!) / 1024) }, null, 2));
      return;
    }
    console.log(JSON.stringify(ingest));

    let errors = 0;
    const search = async (query: string, mode: string, limit: number) => {
      const send = () =>
        fetch(`${base}/api/v1/ai/documents/search`, {
          method: "POST",
          headers: { ...auth, "Content-Type": "application/json" },
          body: JSON.stringify({ query, mode, limit, knowledge_base_id: kb.id }),
        });
      let t0 = performance.now();
      let res = await send();
      if (res.status === 401) {
        await res.arrayBuffer();
        await signInAgain();
        t0 = performance.now();
        res = await send();
      }
      if (res.status !== 200) {
        errors++;
        console.error(`search failed (${mode}): ${res.status} ${(await res.text()).slice(0, 300)}`);
        return { ms: performance.now() - t0, serverMs: NaN, docs: [] as string[] };
      }
      const body = (await res.json()) as { results: { document_title: string }[]; took_ms: number };
      return { ms: performance.now() - t0, serverMs: body.took_ms, docs: [...new Set(body.results.map((r) => r.document_title))] };
    };

    // Quality: each mode, deep result lists (300 chunks → distinct documents, best chunk's rank).
    const quality: Record<string, { ndcg10: number; recall100: number }> = {};
    for (const mode of ["bm25", "vector", "hybrid"]) {
      let ndcg = 0;
      let recall = 0;
      for (const q of evalQueries) {
        const r = await search(q.text, mode, 300);
        ndcg += ndcgAt10(r.docs, qrels.get(q._id)!);
        recall += recallAt100(r.docs, qrels.get(q._id)!);
      }
      quality[mode] = { ndcg10: ndcg / evalQueries.length, recall100: recall / evalQueries.length };
      console.log(mode, quality[mode]);
    }

    // The floor and the peer over the same chunks, now, so their speed rounds can interleave with EdgeCoach's.
    if (peersLib) {
      peerSession = await peersLib.preparePeers(peerInput(2048));
      console.log(`floor and peer indexed and scored (load ${loadAverage()})`);
    }

    // Speed: hybrid, limit 10 (what the API and the answer pipeline ask for), search cache off; ROUNDS
    // rounds over every query, each followed by a floor round and a peer round (interleaved), each
    // round's p50/p99, their medians reported. The searches above have
    // warmed what the Worker keeps per knowledge-base revision (term counts, sketch scan): steady state.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    const roundFigures: { client_p50: number; client_p99: number; server_p50: number; server_p99: number }[] = [];
    let client: number[] = [];
    let validServer: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      client = [];
      const serverSide: number[] = [];
      for (const q of evalQueries) {
        const r = await search(q.text, "hybrid", 10);
        client.push(r.ms);
        serverSide.push(r.serverMs);
      }
      client.sort((a, b) => a - b);
      validServer = serverSide.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      roundFigures.push({ client_p50: pct(client, 50), client_p99: pct(client, 99), server_p50: pct(validServer, 50), server_p99: pct(validServer, 99) });
      console.log(`speed round ${round + 1}/${ROUNDS}`, roundFigures.at(-1));
      // The floor's and the peer's round right after EdgeCoach's (the same queries, limit 10).
      if (peerSession) console.log(`  floor round ${round + 1}`, await peerSession.floorRound(), `peer round ${round + 1}`, await peerSession.peerRound());
    }
    // Cold: the first search after the knowledge base changed (its revision bumped: nothing kept applies).
    await (await fetch(`${base}/api/v1/knowledge-bases/${kb.id}`, { method: "PUT", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ name: "SciFact (renamed)" }) })).arrayBuffer();
    const cold = await search(evalQueries[0]!.text, "hybrid", 10);
    // Where the time goes: each mode alone at limit 10 (server-side took_ms).
    const perMode: Record<string, { server_p50: number; server_p99: number }> = {};
    for (const mode of ["bm25", "vector"]) {
      const times: number[] = [];
      for (const q of evalQueries.slice(0, 100)) times.push((await search(q.text, mode, 10)).serverMs);
      const valid = times.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      perMode[mode] = { server_p50: Number(pct(valid, 50).toFixed(1)), server_p99: Number(pct(valid, 99).toFixed(1)) };
    }
    const peakKb = workerdPeakKb(server.process.pid!);

    const report = {
      ...ingest,
      kb_settings: kb.settings,
      queries: evalQueries.length,
      quality: Object.fromEntries(Object.entries(quality).map(([k, v]) => [k, { ndcg10: Number(v.ndcg10.toFixed(4)), recall100: Number(v.recall100.toFixed(4)) }])),
      search_hybrid_limit10_ms: {
        client_p50: Number(median(roundFigures.map((r) => r.client_p50)).toFixed(1)),
        client_p99: Number(median(roundFigures.map((r) => r.client_p99)).toFixed(1)),
        server_p50: Number(median(roundFigures.map((r) => r.server_p50)).toFixed(1)),
        server_p99: Number(median(roundFigures.map((r) => r.server_p99)).toFixed(1)),
        rounds: roundFigures.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(1))]))),
        cold_first_search_after_change: { client: Number(cold.ms.toFixed(1)), server: Number(cold.serverMs.toFixed(1)) },
      },
      search_by_mode_limit10_ms: perMode,
      workerd_peak_rss_mb: Math.round(peakKb / 1024),
      search_errors: errors,
      load_average_at_end: loadAverage(),
    };
    console.log(JSON.stringify(report, null, 2));
    edge = report;
    const others = peerSession ? await peerSession.finish() : undefined;
    save(edge, others);
  } finally {
    peerSession?.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
