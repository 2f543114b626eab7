#!/usr/bin/env node
// `edgecoach`: the command line of the platform. It talks to the public API only (any deployment via
// --url / EDGECOACH_URL), signs in with a password or an API key, and every command runs
// non-interactively for scripts (--json, --api-key / EDGECOACH_API_KEY).
import * as prompts from "@clack/prompts";
import { Command } from "commander";
import { ApiError, Client, DEFAULT_URL, parse, sseEvents, type GlobalOptions } from "./client.ts";
import { clearCredentials, credentialsPath, saveCredentials } from "./credentials.ts";
import { uploadFiles } from "./kb.ts";

const program = new Command();
program
  .name("edgecoach")
  .description("EdgeCoach from the command line: chat, knowledge bases, background tasks, usage")
  .option("--url <url>", `server (default: EDGECOACH_URL, the stored login's server, or ${DEFAULT_URL})`)
  .option("--api-key <key>", "authenticate with an API key (default: EDGECOACH_API_KEY)")
  .option("--json", "print JSON for scripts");

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const client = () => new Client(globals());
const interactive = () => !globals().json && process.stdin.isTTY && process.stdout.isTTY;

function out(data: unknown, human: () => void): void {
  if (globals().json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else human();
}

program
  .command("login")
  .description("sign in with email and password (prompted when not given), or store an API key")
  .option("--email <email>")
  .option("--password <password>", "(or EDGECOACH_PASSWORD)")
  .action(async (opts: { email?: string; password?: string }) => {
    const url = (globals().url || process.env.EDGECOACH_URL || DEFAULT_URL).replace(/\/+$/, "");
    const apiKey = globals().apiKey || process.env.EDGECOACH_API_KEY;
    if (apiKey) {
      // Check the key before keeping it.
      const res = await fetch(`${url}/api/v1/auth/dashboard`, { headers: { "X-API-Key": apiKey } });
      await parse(res);
      const path = saveCredentials({ url, api_key: apiKey });
      return out({ url, method: "api_key", credentials: path }, () => console.log(`API key stored in ${path}`));
    }
    let email = opts.email;
    let password = opts.password ?? process.env.EDGECOACH_PASSWORD;
    if (!email && interactive()) email = String(await prompts.text({ message: "Email" }));
    if (!password && interactive()) password = String(await prompts.password({ message: "Password" }));
    if (!email || !password) throw new ApiError(0, "USAGE", "login needs --email and --password (or EDGECOACH_PASSWORD), or --api-key");
    const res = await fetch(`${url}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) });
    const tokens = await parse<{ access_token: string; refresh_token: string }>(res);
    const path = saveCredentials({ url, email, access_token: tokens.access_token, refresh_token: tokens.refresh_token });
    out({ url, method: "password", email, credentials: path }, () => console.log(`Signed in as ${email}; login stored in ${path}`));
  });

program
  .command("logout")
  .description("forget the stored login")
  .action(() => {
    clearCredentials();
    out({ credentials: credentialsPath(), removed: true }, () => console.log("Signed out"));
  });

interface Answer {
  response: string;
  conversation_id: string;
  sources: { metadata: Record<string, unknown>; similarity_score: number }[];
  model_used: string;
}

/** Asks one question; on a terminal the answer streams in as it is written. */
async function ask(c: Client, message: string, conversationId?: string, kb?: string): Promise<Answer> {
  const body = { message, ...(conversationId && { conversation_id: conversationId }), ...(kb && { knowledge_base_id: kb }) };
  const streaming = !globals().json;
  const res = await c.raw("/api/v1/ai/conversations", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(streaming && { Accept: "text/event-stream" }) },
    body: JSON.stringify(body),
  });
  if (!streaming || !res.ok || !(res.headers.get("Content-Type") ?? "").includes("text/event-stream")) return parse<Answer>(res);
  let done: Answer | null = null;
  for await (const e of sseEvents(res)) {
    if (e.event === "delta") process.stdout.write((JSON.parse(e.data) as { delta: string }).delta);
    else if (e.event === "done") done = JSON.parse(e.data) as Answer;
    else if (e.event === "error") throw new ApiError(500, "STREAM_ERROR", (JSON.parse(e.data) as { message: string }).message);
  }
  process.stdout.write("\n");
  if (!done) throw new ApiError(500, "STREAM_ERROR", "The answer ended early");
  const titles = [...new Set(done.sources.map((s) => String(s.metadata.document_title ?? s.metadata.document_id ?? "source")))];
  if (titles.length) console.log(`Sources: ${titles.map((t, i) => `[${i + 1}] ${t}`).join("  ")}`);
  return done;
}

program
  .command("chat")
  .description("ask the assistant: one question as an argument, or an interactive chat")
  .argument("[question...]", "a single question (omit for an interactive chat)")
  .option("--kb <knowledge_base_id>", "answer from this knowledge base")
  .option("--conversation <id>", "continue a conversation")
  .action(async (words: string[], opts: { kb?: string; conversation?: string }) => {
    const c = client();
    if (words.length) {
      const answer = await ask(c, words.join(" "), opts.conversation, opts.kb);
      return out(answer, () => {});
    }
    if (!interactive()) throw new ApiError(0, "USAGE", "chat needs a question when not on a terminal");
    prompts.intro("EdgeCoach chat — an empty line or Ctrl-C ends it");
    let conversationId = opts.conversation;
    for (;;) {
      const q = await prompts.text({ message: "You" });
      if (prompts.isCancel(q) || !String(q).trim()) break;
      conversationId = (await ask(c, String(q), conversationId, opts.kb)).conversation_id;
    }
    prompts.outro(conversationId ? `Conversation ${conversationId}` : "Bye");
  });

const kb = program.command("kb").description("knowledge bases");
kb.command("list")
  .description("list knowledge bases")
  .action(async () => {
    const data = await client().request<{ knowledge_bases?: { id: string; name: string; document_count?: number }[] }>("GET", "/api/v1/knowledge-bases");
    out(data, () => {
      for (const k of data.knowledge_bases ?? []) console.log(`${k.id}  ${k.name}${k.document_count !== undefined ? `  (${k.document_count} documents)` : ""}`);
    });
  });
kb.command("create")
  .description("create a knowledge base")
  .argument("<name>")
  .option("--description <text>")
  .action(async (name: string, opts: { description?: string }) => {
    const data = await client().request<{ id: string; name: string }>("POST", "/api/v1/knowledge-bases", { name, ...(opts.description && { description: opts.description }) });
    out(data, () => console.log(`${data.id}  ${data.name}`));
  });
kb.command("upload")
  .description("upload files and wait until they are processed (a progress bar per file)")
  .argument("<knowledge_base_id>")
  .argument("<files...>")
  .option("--no-wait", "return once uploaded")
  .option("--timeout <seconds>", "give up waiting after this long", "300")
  .action(async (kbId: string, files: string[], opts: { wait: boolean; timeout: string }) => {
    const results = await uploadFiles(client(), kbId, files, { wait: opts.wait, quiet: !!globals().json, timeoutMs: Number(opts.timeout) * 1000 });
    out({ documents: results }, () => {
      for (const r of results) console.log(`${r.status.padEnd(10)} ${r.file}${r.document_id ? `  ${r.document_id}` : ""}${r.error ? `  ${r.error}` : ""}`);
    });
    if (results.some((r) => r.status === "failed")) process.exitCode = 1;
  });

interface Task {
  task_id: string;
  state: string;
  step: string | null;
  progress: number;
}

async function waitForTask(c: Client, id: string): Promise<Task> {
  for (;;) {
    const t = await c.request<Task>("GET", `/api/v1/tasks/${id}/status`);
    if (!globals().json && process.stderr.isTTY) process.stderr.write(`\r${t.state} ${t.step ?? ""} ${t.progress}%   `);
    if (["completed", "failed", "cancelled"].includes(t.state)) {
      if (!globals().json && process.stderr.isTTY) process.stderr.write("\n");
      return t;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const tasks = program.command("tasks").description("background tasks (analyses, research reports)");
tasks
  .command("run")
  .description("start a task: `tasks run research <topic>` or `tasks run analyze <question>`")
  .argument("<kind>", "research | analyze")
  .argument("<text...>", "the topic or the question")
  .option("--kb <id>", "research: this knowledge base only")
  .option("--period <period>", "analyze: last_24_hours | last_7_days | last_30_days | last_90_days", "last_7_days")
  .option("--conversations <ids>", "analyze: comma-separated conversation ids instead of a period")
  .option("--wait", "wait for the report and print it")
  .action(async (kind: string, words: string[], opts: { kb?: string; period: string; conversations?: string; wait?: boolean }) => {
    const c = client();
    const text = words.join(" ");
    let task: Task;
    if (kind === "research") task = await c.request<Task>("POST", "/api/v1/tasks/research", { topic: text, ...(opts.kb && { knowledge_base_id: opts.kb }) });
    else if (kind === "analyze")
      task = await c.request<Task>("POST", "/api/v1/tasks/analyze", {
        question: text,
        ...(opts.conversations ? { conversation_ids: opts.conversations.split(",").map((s) => s.trim()) } : { period: opts.period }),
      });
    else throw new ApiError(0, "USAGE", "kind must be research or analyze");
    if (!opts.wait) return out(task, () => console.log(`${task.task_id}  ${task.state}`));
    const finished = await waitForTask(c, task.task_id);
    if (finished.state !== "completed") {
      process.exitCode = 1;
      return out(finished, () => console.log(`${finished.task_id}  ${finished.state}`));
    }
    const results = await c.request<{ report: Record<string, unknown> }>("GET", `/api/v1/tasks/${task.task_id}/results`);
    out(results, () => printReport(results.report));
  });
tasks
  .command("status")
  .description("a task's state and progress, or the report with --results")
  .argument("<task_id>")
  .option("--results", "print the report of a completed task")
  .action(async (id: string, opts: { results?: boolean }) => {
    const c = client();
    if (opts.results) {
      const r = await c.request<{ report: Record<string, unknown> }>("GET", `/api/v1/tasks/${id}/results`);
      return out(r, () => printReport(r.report));
    }
    const t = await c.request<Task>("GET", `/api/v1/tasks/${id}/status`);
    out(t, () => console.log(`${t.task_id}  ${t.state}  ${t.step ?? "-"}  ${t.progress}%`));
  });

function printReport(report: Record<string, unknown>): void {
  console.log(String(report.title ?? "Report"));
  console.log(String(report.summary ?? ""));
  if (report.method) console.log(`\n(${String(report.method)})`);
}

program
  .command("notifications")
  .description("your notifications")
  .action(async () => {
    const res = await client().raw("/api/v1/notifications");
    if (res.status === 404) {
      // An older deployment without the notifications API: say so plainly.
      const message = "This server has no notifications API yet (GET /api/v1/notifications answered 404)";
      out({ available: false, message }, () => console.error(message));
      process.exitCode = 2;
      return;
    }
    const data = await parse<{ notifications?: { created_at?: string; title?: string; kind?: string; body?: string }[] }>(res);
    out(data, () => {
      for (const n of data.notifications ?? []) console.log(`${n.created_at ?? ""}  ${n.kind ?? ""}  ${n.title ?? n.body ?? ""}`);
    });
  });

program
  .command("session-stats")
  .description("usage of the plan this period, sessions and conversations")
  .action(async () => {
    const d = await client().request<{
      subscription_tier: string;
      usage: Record<string, { day?: { used: number; limit: number | null }; month?: { used: number; limit: number | null }; used?: number; limit?: number | null }>;
      sessions: { active: number };
      conversations: { total: number; active: number };
    }>("GET", "/api/v1/auth/dashboard");
    out(d, () => {
      console.log(`Plan: ${d.subscription_tier}   sessions: ${d.sessions.active}   conversations: ${d.conversations.total} (${d.conversations.active} active)`);
      const lim = (n: number | null | undefined) => (n === null || n === undefined ? "∞" : String(n));
      for (const [name, u] of Object.entries(d.usage)) {
        if (u.day && u.month) console.log(`  ${name.padEnd(16)} today ${u.day.used}/${lim(u.day.limit)}   month ${u.month.used}/${lim(u.month.limit)}`);
        else console.log(`  ${name.padEnd(16)} ${u.used}/${lim(u.limit)}`);
      }
    });
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err instanceof ApiError ? err : new ApiError(0, "ERROR", String((err as Error)?.message ?? err));
  if (globals().json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, status: e.status, message: e.message } })}\n`);
  else console.error(`edgecoach: ${e.message}`);
  process.exitCode = e.status === 401 ? 3 : 1;
});
