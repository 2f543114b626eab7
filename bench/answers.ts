// Answer-quality benchmark over a real `wrangler dev`: ingests bench/answers/handbook through the
// upload API and the queue, asks every question of bench/answers/questions.json at
// POST /api/v1/ai/conversations, and scores: answered-and-correct on answerable questions (cites the
// right page and quotes the answering sentence), refused on unanswerable ones, answered citing a
// page that doesn't hold the answer. Per provider that runs here: local (offline) and the
// OpenAI-compatible stub (test/support/openai-stub.ts: only the gate and the cited page are meaningful).
// Run: node bench/answers.ts [--provider local|openai-stub|all] [--verbose] [--json] [--questions FILE]
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startWranglerDev, ROOT } from "../test/support/wrangler-dev.ts";
import { startOpenAiStub } from "../test/support/openai-stub.ts";

const DIR = join(ROOT, "bench", "answers");
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const VERBOSE = args.includes("--verbose");
// --calibrate: answer everything (ANSWER_MIN_EVIDENCE=0), then choose the evidence threshold on the
// calibration split and show what it gives on the held-out split.
const CALIBRATE = args.includes("--calibrate");
const EXTRA_VARS = Object.fromEntries(args.filter((a) => /^[A-Z_]+=/.test(a)).map((a) => a.split("=") as [string, string]));
const providers = opt("provider", "local") === "all" ? ["local", "openai-stub"] : [opt("provider", "local")];

interface Question {
  id: string;
  question: string;
  kind: "direct" | "paraphrase" | "missing" | "off_topic";
  pages: string[];
  expect: string[];
  split: "calibration" | "held_out";
}
// --questions FILE: another question set of the same format (bench/answers/questions-fresh.json: written after the methods were frozen).
const questions = (JSON.parse(readFileSync(opt("questions", join(DIR, "questions.json")), "utf8")) as { questions: Question[] }).questions;
const pages = readdirSync(join(DIR, "handbook")).filter((f) => /\.(md|html|txt)$/.test(f));
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** fetch, retried when wrangler restarts the Worker (it does when source files change under it). */
async function call(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt >= 5) return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 2000));
  }
}

interface Outcome {
  q: Question;
  answered: boolean;
  cited: string[];
  correct: boolean;
  wrongPage: boolean;
  response: string;
  confidence: number;
}

/** Pages the answer cites: its [n] markers mapped to the returned sources (all sources when it has none). */
function citedPages(response: string, sources: { metadata: Record<string, unknown> }[]): string[] {
  const titleOf = (i: number) => String(sources[i]?.metadata.document_title ?? "?");
  const marks = [...response.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]) - 1).filter((i) => i >= 0 && i < sources.length);
  return [...new Set((marks.length ? marks : sources.map((_, i) => i)).map(titleOf))];
}

async function runProvider(provider: string): Promise<Outcome[]> {
  const stub = provider === "openai-stub" ? await startOpenAiStub() : undefined;
  const vars: Record<string, string> = { RATE_LIMITS_ENABLED: "false", SEARCH_CACHE_TTL_SECONDS: "0", ...EXTRA_VARS };
  if (CALIBRATE) vars.ANSWER_MIN_EVIDENCE = "0";
  if (stub) Object.assign(vars, { AI_PROVIDER: "openai", OPENAI_BASE_URL: stub.url, OPENAI_CHAT_MODEL: "stub-chat", OPENAI_EMBEDDING_MODEL: "stub-embed", VECTOR_STORE: "d1" });
  const server = await startWranglerDev({ vars, timeoutMs: 120_000 });
  const base = server.url;
  try {
    const reg = await fetch(`${base}/api/v1/auth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: `answers-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Answers bench" }),
    });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
    const session = (await reg.json()) as { access_token: string };
    const auth = { Authorization: `Bearer ${session.access_token}` };
    const kbRes = await fetch(`${base}/api/v1/knowledge-bases`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ name: "Handbook" }) });
    const kb = (await kbRes.json()) as { id: string };
    for (const file of pages) {
      const form = new FormData();
      form.append("file", new File([readFileSync(join(DIR, "handbook", file))], file));
      form.set("title", file.replace(/\.\w+$/, ""));
      const res = await call(`${base}/api/v1/knowledge-bases/${kb.id}/documents`, { method: "POST", headers: auth, body: form });
      if (res.status !== 202) throw new Error(`upload ${file}: ${res.status} ${await res.text()}`);
    }
    for (let i = 0; ; i++) {
      const body = (await (await fetch(`${base}/api/v1/knowledge-bases/${kb.id}/documents?status=completed&limit=1`, { headers: auth })).json()) as any;
      if (body.pagination.total >= pages.length) break;
      if (i > 240) throw new Error("ingestion did not finish");
      await new Promise((r) => setTimeout(r, 500));
    }
    const outcomes: Outcome[] = [];
    for (const q of questions) {
      const res = await call(`${base}/api/v1/ai/conversations`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ message: q.question, knowledge_base_id: kb.id }),
      });
      if (res.status !== 200) throw new Error(`ask ${q.id}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { response: string; model_used: string; confidence: number; sources: { metadata: Record<string, unknown> }[] };
      const answered = !body.model_used.startsWith("fallback");
      const cited = answered ? citedPages(body.response, body.sources) : [];
      const answerable = q.pages.length > 0;
      const quotes = provider === "openai-stub" || q.expect.some((e) => body.response.toLowerCase().includes(e.toLowerCase()));
      const wrongPage = answered && answerable && cited.some((p) => !q.pages.includes(p));
      const correct = answered && answerable && !wrongPage && cited.length > 0 && quotes;
      outcomes.push({ q, answered, cited, correct, wrongPage, response: body.response, confidence: body.confidence });
      if (VERBOSE) console.error(`${q.id} ${q.kind.padEnd(10)} ${answered ? "ANSWER" : "refuse"} ${body.confidence.toFixed(2)} ${correct ? "ok " : answerable ? "BAD" : answered ? "BAD" : "ok "} ${cited.join(",")} | ${q.question} | ${body.response.replace(/\s+/g, " ").slice(0, 140)}`);
    }
    return outcomes;
  } finally {
    await server.stop();
    await stub?.close();
  }
}

function summarise(outcomes: Outcome[]) {
  const answerable = outcomes.filter((o) => o.q.pages.length > 0);
  const unanswerable = outcomes.filter((o) => o.q.pages.length === 0);
  const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : 0);
  return {
    answerable: answerable.length,
    answered_correctly_pct: pct(answerable.filter((o) => o.correct).length, answerable.length),
    unanswerable: unanswerable.length,
    refused_pct: pct(unanswerable.filter((o) => !o.answered).length, unanswerable.length),
    // Every answer whose cited pages include one that doesn't hold the answer (unanswerable questions: every answer).
    answered_citing_wrong_page: outcomes.filter((o) => o.wrongPage || (o.answered && o.q.pages.length === 0)).length,
    by_kind: Object.fromEntries(
      ["direct", "paraphrase", "missing", "off_topic"].map((k) => {
        const of = outcomes.filter((o) => o.q.kind === k);
        return [k, k === "missing" || k === "off_topic" ? `${of.filter((o) => !o.answered).length}/${of.length} refused` : `${of.filter((o) => o.correct).length}/${of.length} correct`];
      }),
    ),
  };
}

/** The outcome had the gate been at `threshold` (answers below it become refusals). */
const atThreshold = (outcomes: Outcome[], threshold: number): Outcome[] =>
  outcomes.map((o) => (o.answered && o.confidence < threshold ? { ...o, answered: false, correct: false, wrongPage: false, cited: [] } : o));

function calibrate(outcomes: Outcome[]) {
  const cal = outcomes.filter((o) => o.q.split === "calibration");
  const rows = [];
  for (let t = 0.3; t <= 0.951; t += 0.05) {
    const th = Math.round(t * 100) / 100;
    const c = summarise(atThreshold(cal, th));
    const h = summarise(atThreshold(outcomes.filter((o) => o.q.split === "held_out"), th));
    rows.push({ threshold: th, calibration: `${c.answered_correctly_pct}% correct, ${c.refused_pct}% refused, ${c.answered_citing_wrong_page} wrong`, held_out: `${h.answered_correctly_pct}% correct, ${h.refused_pct}% refused, ${h.answered_citing_wrong_page} wrong`, objective: c.answered_correctly_pct + c.refused_pct - 10 * c.answered_citing_wrong_page });
  }
  const best = rows.reduce((a, b) => (b.objective > a.objective ? b : a));
  return { chosen_on_calibration: best.threshold, sweep: rows };
}

async function main() {
  const report: Record<string, unknown> = { questions: questions.length, pages: pages.length, load_average_at_start: loadAverage() };
  for (const provider of providers) {
    const outcomes = await runProvider(provider);
    if (CALIBRATE) {
      report[provider] = calibrate(outcomes);
      continue;
    }
    report[provider] = {
      all: summarise(outcomes),
      calibration: summarise(outcomes.filter((o) => o.q.split === "calibration")),
      held_out: summarise(outcomes.filter((o) => o.q.split === "held_out")),
    };
  }
  report.load_average_at_end = loadAverage();
  console.log(JSON.stringify(report, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
