// Background tasks: creating one (quota, then a Workflow instance with the same id), its status and
// results, cancellation, and the D1 bookkeeping the workflow's steps do.
import { desc, eq, gte, inArray, lte, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations, tasks } from "../../db/schema";
import type { Env } from "../../env";
import { AppError, conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { nowIso } from "../../lib/clock";
import type { AnalyzeInput, ResearchInput, TaskStatus } from "./schemas";
import { knowledgeBases } from "../../db/schema";

export interface TaskParams {
  taskId: string;
  creatorId: string;
}

type TaskRow = typeof tasks.$inferSelect;

export function statusView(row: TaskRow): TaskStatus {
  return {
    task_id: row.id,
    kind: row.kind,
    state: row.state,
    step: row.step,
    progress: row.progress,
    error: row.error,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    completed_at: row.completedAt,
    status_url: `/api/v1/tasks/${row.id}/status`,
    results_url: `/api/v1/tasks/${row.id}/results`,
  };
}

interface Creator {
  creatorId: string;
  memberId: string;
  tier: string;
}

async function start(env: Env, who: Creator, kind: "analyze" | "research", input: Record<string, unknown>, waitUntil: (p: Promise<unknown>) => void) {
  // The plan's tasks limit is charged by the route's policy (meter: tasks), and given back if this throws.
  const t = tenant(env.DB, who.creatorId);
  const id = newId();
  const [row] = await t.db.insert(tasks).values({ id, creatorId: who.creatorId, createdBy: who.memberId, kind, input }).returning();
  try {
    await env.TASKS.create({ id, params: { taskId: id, creatorId: who.creatorId } satisfies TaskParams });
  } catch (err) {
    log("error", "task workflow not started", { task_id: id, error: String(err) });
    await t.db.update(tasks).set({ state: "failed", error: "The task could not be started", updatedAt: nowIso() }).where(t.where(tasks, eq(tasks.id, id)));
    throw new AppError("SERVICE_UNAVAILABLE", "Background tasks are not available right now");
  }
  return statusView(row!);
}

export async function startAnalysis(env: Env, who: Creator, input: AnalyzeInput, waitUntil: (p: Promise<unknown>) => void) {
  if (input.conversation_ids) {
    const t = tenant(env.DB, who.creatorId);
    const ids = [...new Set(input.conversation_ids)];
    const found = await t.db.select({ id: conversations.id }).from(conversations).where(t.where(conversations, inArray(conversations.id, ids)));
    // Another creator's conversation is simply not found (existence is not leaked).
    if (found.length !== ids.length) throw notFound("Conversation");
  }
  return start(env, who, "analyze", input, waitUntil);
}

export async function startResearch(env: Env, who: Creator, input: ResearchInput, waitUntil: (p: Promise<unknown>) => void) {
  if (input.knowledge_base_id) {
    const t = tenant(env.DB, who.creatorId);
    const kb = await t.db.select({ id: knowledgeBases.id }).from(knowledgeBases).where(t.where(knowledgeBases, eq(knowledgeBases.id, input.knowledge_base_id))).get();
    if (!kb) throw notFound("Knowledge base");
  }
  return start(env, who, "research", input, waitUntil);
}

export async function getTask(env: Env, creatorId: string, id: string): Promise<TaskRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(tasks).where(t.where(tasks, eq(tasks.id, id))).get();
  if (!row) throw notFound("Task");
  return row;
}

export async function listTasks(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(tasks).where(t.where(tasks)).orderBy(desc(tasks.createdAt)).limit(100);
  return { tasks: rows.map(statusView), total: rows.length };
}

export async function taskResults(env: Env, creatorId: string, id: string) {
  const row = await getTask(env, creatorId, id);
  if (row.state !== "completed") throw conflict(`The task is ${row.state}; results are ready once it has completed`);
  return { task_id: row.id, kind: row.kind, completed_at: row.completedAt!, report: row.result ?? {} };
}

export async function cancelTask(env: Env, creatorId: string, id: string) {
  const row = await getTask(env, creatorId, id);
  if (row.state === "completed" || row.state === "failed") throw conflict(`The task has already ${row.state === "completed" ? "completed" : "failed"}`);
  const t = tenant(env.DB, creatorId);
  await t.db
    .update(tasks)
    .set({ state: "cancelled", updatedAt: nowIso(), completedAt: nowIso() })
    .where(t.where(tasks, eq(tasks.id, id), inArray(tasks.state, ["queued", "running"])));
  try {
    await (await env.TASKS.get(id)).terminate();
  } catch {
    // Already finished between the read and here: the state above is what counts.
  }
  return statusView(await getTask(env, creatorId, id));
}

// ---- used by the workflow's steps

/** A step's progress; never overwrites a cancelled task. Returns false when the task was cancelled. */
export async function markStep(env: Env, p: TaskParams, step: string, progress: number): Promise<boolean> {
  const t = tenant(env.DB, p.creatorId);
  const done = await t.db
    .update(tasks)
    .set({ state: "running", step, progress, updatedAt: nowIso() })
    .where(t.where(tasks, eq(tasks.id, p.taskId), inArray(tasks.state, ["queued", "running"])))
    .returning({ id: tasks.id });
  return done.length > 0;
}

export async function finishTask(env: Env, p: TaskParams, report: Record<string, unknown>): Promise<boolean> {
  const t = tenant(env.DB, p.creatorId);
  const done = await t.db
    .update(tasks)
    .set({ state: "completed", step: "done", progress: 100, result: report, updatedAt: nowIso(), completedAt: nowIso() })
    .where(t.where(tasks, eq(tasks.id, p.taskId), inArray(tasks.state, ["queued", "running"])))
    .returning({ id: tasks.id });
  return done.length > 0;
}

export async function failTask(env: Env, p: TaskParams, error: string): Promise<void> {
  const t = tenant(env.DB, p.creatorId);
  await t.db
    .update(tasks)
    .set({ state: "failed", error: error.slice(0, 500), updatedAt: nowIso(), completedAt: nowIso() })
    .where(t.where(tasks, eq(tasks.id, p.taskId), inArray(tasks.state, ["queued", "running"])));
}

/** Conversations in scope of an analysis: the given ids, or those active in the period (newest first). */
export async function conversationsInScope(env: Env, creatorId: string, input: AnalyzeInput, limit: number): Promise<string[]> {
  const t = tenant(env.DB, creatorId);
  if (input.conversation_ids) return [...new Set(input.conversation_ids)].slice(0, limit);
  const { from, to } = periodBounds(input.period!);
  const rows = await t.db
    .select({ id: conversations.id })
    .from(conversations)
    .where(t.where(conversations, gte(sql`coalesce(${conversations.lastMessageAt}, ${conversations.createdAt})`, from), lte(conversations.createdAt, to)))
    .orderBy(desc(conversations.createdAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

export function periodBounds(period: NonNullable<AnalyzeInput["period"]>): { from: string; to: string } {
  if (typeof period === "object") return { from: new Date(period.from).toISOString(), to: new Date(period.to).toISOString() };
  const hours = { last_24_hours: 24, last_7_days: 24 * 7, last_30_days: 24 * 30, last_90_days: 24 * 90 }[period];
  return { from: new Date(Date.now() - hours * 3600_000).toISOString(), to: new Date().toISOString() };
}

