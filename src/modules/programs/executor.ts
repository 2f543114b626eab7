// Runs enrolments step by step. Durable by construction: an enrolment's state is one D1 row;
// a step's side effects are keyed by (enrolment, step index) so a retry finds them done; the
// move to the next step is a compare-and-set on the step index, so a duplicate job or an
// overlapping tick neither skips nor repeats a step.
import type { Env } from "../../env";
import { config } from "../../config";
import type { FlowDefinition, FlowNode } from "../../db/schema";
import { answer } from "../../ai/answer";
import { clock, HOUR, MINUTE } from "../../lib/clock";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { programQuestionChanged } from "../../realtime";
import { addLocalDays, nextLocalTime, zoneOrUtc } from "../../lib/timezone";
import { WhatsAppTemplateSchema } from "../channels";
import { memoryValues } from "../memory";
import { deliverToEndUser } from "./delivery";
import { nextNodeId, nodeById } from "./flow";
import { loadVersion } from "./service";
import { renderTemplate } from "./template";
import { recordActivity } from "../analytics";

export interface EnrollmentRow {
  id: string;
  creator_id: string;
  program_id: string;
  version: number;
  end_user_id: string;
  status: string;
  current_node_id: string;
  step_index: number;
  next_run_at: string | null;
  awaiting: string | null;
}

interface UserRow {
  id: string;
  display_name: string | null;
  timezone: string | null;
  language: string | null;
  channel: string;
  profile: string;
  tags: string;
}

export const loadEnrollment = (env: Env, id: string) =>
  env.DB.prepare("SELECT * FROM program_enrollments WHERE id = ?").bind(id).first<EnrollmentRow>();

const loadUser = (env: Env, id: string) =>
  env.DB.prepare("SELECT id, display_name, timezone, language, channel, profile, tags FROM end_users WHERE id = ?").bind(id).first<UserRow>();

/** When a node becomes due once the flow reaches it at `now` (waits count in the user's timezone). */
export function readyAt(node: FlowNode | undefined, now: number, timezone: string | null): number {
  if (!node) return now;
  const d = node.data as Record<string, number | string | undefined>;
  const tz = zoneOrUtc(timezone);
  if (node.type === "send_message" && typeof d.delay_hours === "number" && d.delay_hours > 0) return now + d.delay_hours * HOUR;
  if (node.type !== "wait") return now;
  // Days move the local calendar (same wall-clock time, 23 or 25 h across DST); hours and minutes are elapsed time.
  let at = typeof d.days === "number" && d.days > 0 ? addLocalDays(now, d.days, tz) : now;
  at += (Number(d.hours) || 0) * HOUR + (Number(d.minutes) || 0) * MINUTE;
  // "until 09:00" = the next 09:00 on the user's clock after any duration (never the same instant).
  if (typeof d.until_local_time === "string") at = nextLocalTime(at, d.until_local_time, tz);
  return at;
}

interface Move {
  outcome: "executed" | "asked" | "answered" | "timed_out" | "skipped";
  detail?: Record<string, unknown>;
  /** Next node (null: the flow ends here). Undefined with `awaitAnswer`: stay on the question. */
  next: string | null;
  awaitAnswer?: { timeoutAt: number | null };
}

/**
 * Commits one step: history row + the move, in one transaction, only if the enrolment is still at
 * `expectedStep` and running. Returns false when someone else already moved it (a duplicate).
 */
export async function commitStep(
  env: Env,
  e: EnrollmentRow,
  flow: FlowDefinition,
  user: UserRow | null,
  node: FlowNode,
  move: Move,
  now: number,
  /** Writes that belong to this step (run in the same transaction, after the move). */
  extra: D1PreparedStatement[] = [],
): Promise<boolean> {
  const at = new Date(now).toISOString();
  const next = move.awaitAnswer ? node : move.next ? nodeById(flow, move.next) : undefined;
  const completes = !move.awaitAnswer && (!next || next.type === "end");
  const nextRunAt = move.awaitAnswer
    ? move.awaitAnswer.timeoutAt === null ? null : new Date(move.awaitAnswer.timeoutAt).toISOString()
    : completes ? null : new Date(readyAt(next, now, user?.timezone ?? null)).toISOString();
  const stmts = [
    env.DB.prepare(
      `INSERT INTO enrollment_steps (id, creator_id, enrollment_id, step_index, node_id, node_type, outcome, detail, created_at)
       SELECT ?, creator_id, id, step_index, ?, ?, ?, ?, ? FROM program_enrollments WHERE id = ? AND step_index = ? AND status = 'active'
       ON CONFLICT DO NOTHING`,
    ).bind(newId(), node.id, node.type, move.outcome, JSON.stringify(move.detail ?? {}), at, e.id, e.step_index),
    env.DB.prepare(
      `UPDATE program_enrollments
          SET current_node_id = ?, step_index = step_index + 1, next_run_at = ?, awaiting = ?, claimed_until = NULL,
              last_progress_at = ?, status = ?, completed_at = ?
        WHERE id = ? AND step_index = ? AND status = 'active'`,
    ).bind(
      next?.id ?? node.id,
      nextRunAt,
      move.awaitAnswer ? "answer" : null,
      at,
      completes ? "completed" : "active",
      completes ? at : null,
      e.id,
      e.step_index,
    ),
  ];
  if (completes && next?.type === "end") {
    // The end node is part of the history too (so the history reads start … end).
    stmts.push(
      env.DB.prepare(
        `INSERT INTO enrollment_steps (id, creator_id, enrollment_id, step_index, node_id, node_type, outcome, detail, created_at)
         SELECT ?, creator_id, id, step_index, ?, 'end', 'executed', '{}', ? FROM program_enrollments WHERE id = ? AND step_index = ? AND status = 'completed'
         ON CONFLICT DO NOTHING`,
      ).bind(newId(), next.id, at, e.id, e.step_index + 1),
    );
  }
  stmts.push(...extra);
  const results = await env.DB.batch(stmts);
  const moved = (results[1]!.meta.changes ?? 0) > 0;
  // The end user's conversations stop skipping the question lookup (they cache "nothing pending").
  if (moved && move.awaitAnswer) await programQuestionChanged(env, e.creator_id, e.end_user_id);
  if (moved && completes) await onCompleted(env, e, user, now);
  return moved;
}

async function onCompleted(env: Env, e: EnrollmentRow, user: UserRow | null, now: number) {
  // The completion moved exactly once (the guarded UPDATE above): its id makes a retried call a no-op.
  await recordActivity(env, e.creator_id, "program.completed", { enrollment_id: e.id, program_id: e.program_id, user_id: e.end_user_id, version: e.version, completed_at: new Date(now).toISOString() }, `program.completed:${e.id}`);
  const version = await loadVersion(env, e.program_id, e.version);
  const badge = version?.settings.completion_badge;
  if (typeof badge === "string" && user) {
    const name = typeof version?.settings.completion_badge_name === "string" ? version.settings.completion_badge_name : badge;
    await awardBadge(env, e, badge, name, now);
  }
}

async function awardBadge(env: Env, e: EnrollmentRow, badgeId: string, badgeName: string, now: number) {
  await env.DB.prepare(
    `INSERT INTO end_user_badges (id, creator_id, end_user_id, badge_id, badge_name, program_id, enrollment_id, earned_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  )
    .bind(newId(), e.creator_id, e.end_user_id, badgeId, badgeName, e.program_id, e.id, new Date(now).toISOString())
    .run();
}

function parseJson<T>(s: string | null | undefined, fallback: T): T {
  try {
    return s ? (JSON.parse(s) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function evaluateCondition(data: Record<string, unknown>, user: UserRow | null): boolean {
  const profile = parseJson<Record<string, unknown>>(user?.profile, {});
  const tags = parseJson<string[]>(user?.tags, []);
  const field = String(data.field ?? "");
  const actual: unknown =
    field === "tags" ? tags : field === "channel" ? user?.channel : field === "language" ? user?.language : profile[field.replace(/^(profile|answers)\./, "")];
  const expected = data.value;
  const norm = (v: unknown) => String(v ?? "").trim().toLowerCase();
  switch (data.operator) {
    case "exists":
      return actual !== undefined && actual !== null && actual !== "" && !(Array.isArray(actual) && !actual.length);
    case "not_exists":
      return !evaluateCondition({ ...data, operator: "exists" }, user);
    case "equals":
      return Array.isArray(actual) ? actual.some((a) => norm(a) === norm(expected)) : norm(actual) === norm(expected);
    case "not_equals":
      return !evaluateCondition({ ...data, operator: "equals" }, user);
    case "contains":
      return Array.isArray(actual) ? actual.some((a) => norm(a) === norm(expected)) : norm(actual).includes(norm(expected));
    case "not_contains":
      return !evaluateCondition({ ...data, operator: "contains" }, user);
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const a = Number(actual);
      const b = Number(expected);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
      return data.operator === "gt" ? a > b : data.operator === "gte" ? a >= b : data.operator === "lt" ? a < b : a <= b;
    }
    default:
      return false;
  }
}

/** Whether a node's texts use {memory.…} (only then are the memories read). */
function needsMemory(data: Record<string, unknown>): boolean {
  return /\{\s*memory\./.test(JSON.stringify(data));
}

/** The side effects of one node, each keyed by the step so a retry doesn't repeat it. */
async function execute(env: Env, e: EnrollmentRow, flow: FlowDefinition, node: FlowNode, user: UserRow | null, now: number): Promise<Move> {
  const key = `program:${e.id}:${e.step_index}`;
  const data = node.data as Record<string, unknown>;
  const profile = parseJson<Record<string, unknown>>(user?.profile, {});
  // Memories are read at send time, so a message says what the user told the assistant most recently.
  const memory = needsMemory(data) ? await memoryValues(env, e.creator_id, e.end_user_id) : {};
  const templateUser = { displayName: user?.display_name ?? null, profile, memory };
  // A node's WhatsApp template (validated on save), its parameters written for this user.
  const template = WhatsAppTemplateSchema.safeParse(data.whatsapp_template);
  const whatsappTemplate = template.success
    ? { ...template.data, ...(template.data.parameters && { parameters: template.data.parameters.map((p) => renderTemplate(p, templateUser)) }) }
    : undefined;
  const deliver = async (text: string) => {
    const r = await deliverToEndUser(env, { creatorId: e.creator_id, endUserId: e.end_user_id, text, sender: "ai", kind: "program", idempotencyKey: key, ...(whatsappTemplate && { whatsappTemplate }) });
    return { delivered: r.delivered, ...(r.reason && r.reason !== "duplicate" ? { reason: r.reason } : {}), ...(r.messageId ? { message_id: r.messageId } : {}) };
  };
  // A timed-out question: follow its timeout edge (or, without one, carry on along the answer edge).
  if (e.awaiting === "answer") {
    return { outcome: "timed_out", next: nextNodeId(flow, node.id, "timeout") ?? nextNodeId(flow, node.id) };
  }
  switch (node.type) {
    case "send_message":
      return { outcome: "executed", detail: await deliver(renderTemplate(String(data.message ?? ""), templateUser)), next: nextNodeId(flow, node.id) };
    case "question": {
      const detail = await deliver(renderTemplate(String(data.question ?? ""), templateUser));
      const timeoutHours = typeof data.timeout_hours === "number" ? data.timeout_hours : null;
      return { outcome: "asked", detail: { ...detail, key: data.key }, next: null, awaitAnswer: { timeoutAt: timeoutHours ? now + timeoutHours * HOUR : null } };
    }
    case "condition": {
      const result = evaluateCondition(data, user);
      return { outcome: "executed", detail: { result }, next: nextNodeId(flow, node.id, result ? "true" : "false") };
    }
    case "ai_message": {
      const prompt = renderTemplate(String(data.prompt ?? ""), templateUser);
      const result = await answer(env, {
        creatorId: e.creator_id,
        message: prompt,
        ...(typeof data.knowledge_base_id === "string" ? { knowledgeBaseId: data.knowledge_base_id } : {}),
      });
      return { outcome: "executed", detail: { ...(await deliver(result.response)), model_used: result.model_used }, next: nextNodeId(flow, node.id) };
    }
    case "tag": {
      const tag = String(data.tag);
      // Set semantics in SQL: adding twice or removing twice is the same as once.
      const sqlText =
        data.action === "remove"
          ? "UPDATE end_users SET tags = (SELECT json_group_array(value) FROM json_each(end_users.tags) WHERE value <> ?1) WHERE id = ?2"
          : "UPDATE end_users SET tags = json_insert(tags, '$[#]', ?1) WHERE id = ?2 AND NOT EXISTS (SELECT 1 FROM json_each(end_users.tags) WHERE value = ?1)";
      await env.DB.prepare(sqlText).bind(tag, e.end_user_id).run();
      return { outcome: "executed", detail: { tag, action: data.action ?? "add" }, next: nextNodeId(flow, node.id) };
    }
    case "award_badge": {
      const badgeId = String(data.badge_id);
      await awardBadge(env, e, badgeId, typeof data.badge_name === "string" ? data.badge_name : badgeId, now);
      return { outcome: "executed", detail: { badge_id: badgeId }, next: nextNodeId(flow, node.id) };
    }
    case "end":
      return { outcome: "executed", next: null };
    default: // start, wait: the waiting already happened (next_run_at)
      return { outcome: "executed", next: nextNodeId(flow, node.id) };
  }
}

/**
 * Runs the enrolment from `expectedStep` for as long as its steps are due now (message → tag →
 * wait stops at the wait). A job for a step that already moved on is a harmless no-op.
 */
export async function runEnrollment(env: Env, enrollmentId: string, expectedStep: number): Promise<{ steps: number }> {
  const max = config(env).programs.maxStepsPerJob;
  let step = expectedStep;
  let steps = 0;
  for (; steps < max; steps++) {
    const now = clock.now();
    const e = await loadEnrollment(env, enrollmentId);
    if (!e || e.status !== "active" || e.step_index !== step) break;
    if (e.next_run_at === null || Date.parse(e.next_run_at) > now) break;
    const version = await loadVersion(env, e.program_id, e.version);
    const node = version ? nodeById(version.flow, e.current_node_id) : undefined;
    if (!version || !node) {
      log("error", "program step without its flow", { enrollmentId, programId: e.program_id, version: e.version, node: e.current_node_id });
      throw new Error("enrolment points at a missing program version or node");
    }
    const user = await loadUser(env, e.end_user_id);
    const move = await execute(env, e, version.flow, node, user, now);
    if (!(await commitStep(env, e, version.flow, user, node, move, now))) break;
    step += 1;
  }
  return { steps };
}

/** Stores the user's reply to a pending question and moves that enrolment on (a step of its own). */
export async function answerQuestion(env: Env, e: EnrollmentRow, text: string): Promise<boolean> {
  const version = await loadVersion(env, e.program_id, e.version);
  const node = version ? nodeById(version.flow, e.current_node_id) : undefined;
  if (!version || !node || node.type !== "question") return false;
  const key = String((node.data as Record<string, unknown>).key);
  const now = clock.now();
  const user = await loadUser(env, e.end_user_id);
  // The answer goes into the profile under the question's key (json_set keeps the other fields),
  // in the step's transaction and only if this step really was recorded as answered.
  const store = env.DB.prepare(
    `UPDATE end_users SET profile = json_set(COALESCE(profile, '{}'), '$.' || ?1, ?2)
      WHERE id = ?3 AND EXISTS (SELECT 1 FROM enrollment_steps WHERE enrollment_id = ?4 AND step_index = ?5 AND outcome = 'answered')`,
  ).bind(key, text, e.end_user_id, e.id, e.step_index);
  const move = { outcome: "answered" as const, detail: { key, answer: text }, next: nextNodeId(version.flow, node.id) };
  return commitStep(env, e, version.flow, user, node, move, now, [store]);
}
