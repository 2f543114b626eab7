// Enrolments: enrol (409 while one runs), pause, resume, cancel, and the progress view.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { programQuestionChanged } from "../../realtime";
import { nodeById, progressOf } from "./flow";
import { findProgram, loadVersion } from "./service";
import type { EnrollmentRow } from "./executor";
import { recordActivity } from "../analytics";

const isUnique = (err: unknown) => /UNIQUE/i.test(String((err as Error)?.message) + String((err as { cause?: unknown })?.cause));

async function assertUser(env: Env, creatorId: string, userId: string) {
  const user = await env.DB.prepare("SELECT id FROM end_users WHERE id = ? AND creator_id = ?").bind(userId, creatorId).first();
  if (!user) throw notFound("User");
}

export async function enroll(env: Env, creatorId: string, userId: string, programId: string) {
  await assertUser(env, creatorId, userId);
  const program = await findProgram(env, creatorId, programId);
  if (program.status === "archived") throw conflict("The program is archived");
  if (program.publishedVersion === null) throw conflict("The program has no published version yet");
  const version = await loadVersion(env, programId, program.publishedVersion);
  const start = version?.flow.nodes.find((n) => n.type === "start");
  if (!version || !start) throw conflict("The published version has no start node");
  const id = newId();
  const at = clock.iso();
  try {
    // Due at once: the next tick runs the start node and whatever follows it without waiting.
    await env.DB.prepare(
      `INSERT INTO program_enrollments (id, creator_id, program_id, version, end_user_id, status, current_node_id, step_index, next_run_at, enrolled_at, last_progress_at)
       VALUES (?, ?, ?, ?, ?, 'active', ?, 0, ?, ?, ?)`,
    )
      .bind(id, creatorId, programId, program.publishedVersion, userId, start.id, at, at, at)
      .run();
  } catch (err) {
    if (isUnique(err)) throw conflict("The user is already enrolled in this program");
    throw err;
  }
  await recordActivity(env, creatorId, "program.enrolled", { enrollment_id: id, program_id: programId, user_id: userId, version: program.publishedVersion, enrolled_at: at }, `program.enrolled:${id}`);
  return { enrollment_id: id, program_id: programId, user_id: userId, version: program.publishedVersion, status: "active" as const, enrolled_at: at };
}

/** The running enrolment (active or paused) of a user in a program, else the latest one. */
async function latest(env: Env, creatorId: string, userId: string, programId: string) {
  await assertUser(env, creatorId, userId);
  await findProgram(env, creatorId, programId);
  const row = await env.DB.prepare(
    `SELECT * FROM program_enrollments WHERE creator_id = ? AND end_user_id = ? AND program_id = ?
      ORDER BY status IN ('active', 'paused') DESC, enrolled_at DESC LIMIT 1`,
  )
    .bind(creatorId, userId, programId)
    .first<EnrollmentRow & { enrolled_at: string; completed_at: string | null; cancelled_at: string | null; paused_at: string | null }>();
  if (!row) throw notFound("Enrollment");
  return row;
}

export async function presentEnrollment(env: Env, row: Awaited<ReturnType<typeof latest>>, withHistory: boolean, programName?: string) {
  const version = await loadVersion(env, row.program_id, row.version);
  const history = await env.DB.prepare("SELECT step_index, node_id, node_type, outcome, detail, created_at FROM enrollment_steps WHERE enrollment_id = ? ORDER BY step_index")
    .bind(row.id)
    .all<{ step_index: number; node_id: string; node_type: string; outcome: string; detail: string; created_at: string }>();
  const done = history.results.filter((h) => h.outcome !== "asked" && h.node_type !== "start").length;
  const node = version ? nodeById(version.flow, row.current_node_id) : undefined;
  const running = row.status === "active" || row.status === "paused";
  return {
    enrollment_id: row.id,
    program_id: row.program_id,
    ...(programName ? { program_name: programName } : {}),
    user_id: row.end_user_id,
    version: row.version,
    status: row.status as "active" | "paused" | "completed" | "cancelled",
    progress: version ? progressOf(version.flow, row.current_node_id, done, row.status === "completed") : 0,
    current_step:
      running && node
        ? { node_id: node.id, type: node.type, waiting_for: row.awaiting === "answer" ? ("answer" as const) : row.next_run_at && row.next_run_at > clock.iso() ? ("time" as const) : null, due_at: row.next_run_at }
        : null,
    enrolled_at: row.enrolled_at,
    completed_at: row.completed_at,
    cancelled_at: row.cancelled_at,
    paused_at: row.paused_at,
    ...(withHistory
      ? {
          history: history.results.map((h) => ({ step: h.step_index, node_id: h.node_id, type: h.node_type, outcome: h.outcome, detail: JSON.parse(h.detail), at: h.created_at })),
        }
      : {}),
  };
}

export async function getEnrollment(env: Env, creatorId: string, userId: string, programId: string) {
  return presentEnrollment(env, await latest(env, creatorId, userId, programId), true);
}

const TRANSITIONS = {
  pause: { from: ["active"], to: "paused", stamp: "paused_at" },
  resume: { from: ["paused"], to: "active", stamp: null },
  cancel: { from: ["active", "paused"], to: "cancelled", stamp: "cancelled_at" },
} as const;

export async function transition(env: Env, creatorId: string, userId: string, programId: string, action: keyof typeof TRANSITIONS) {
  const row = await latest(env, creatorId, userId, programId);
  const rule = TRANSITIONS[action];
  if (!(rule.from as readonly string[]).includes(row.status)) throw conflict(`A ${row.status} enrolment can't ${action}`);
  const at = clock.iso();
  // Resume keeps the step and its due time: an overdue step runs at the next tick. The step index
  // doesn't change, so a job already queued for it runs it exactly once.
  const changed = await env.DB.prepare(
    `UPDATE program_enrollments SET status = ?1, claimed_until = NULL ${rule.stamp ? `, ${rule.stamp} = ?4` : ", paused_at = NULL"}
      WHERE id = ?2 AND status = ?3`,
  )
    .bind(rule.to, row.id, row.status, ...(rule.stamp ? [at] : []))
    .run();
  if (!changed.meta.changes) throw conflict("The enrolment changed meanwhile; reload and try again");
  // A resumed enrolment may be waiting for an answer again: the end user's conversations must ask.
  if (action === "resume" && row.awaiting === "answer") await programQuestionChanged(env, creatorId, row.end_user_id);
  return getEnrollment(env, creatorId, userId, programId);
}
