// A program's enrolments, newest first (GET /api/v1/programs/{program_id}/enrollments): state, the
// end user, the current step and when it started — the console's per-program list, with pause,
// resume and cancel through the user's enrolment routes.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { nodeById, progressOf } from "./flow";
import { findProgram, loadVersion } from "./service";

interface Row {
  id: string;
  program_id: string;
  version: number;
  end_user_id: string;
  status: "active" | "paused" | "completed" | "cancelled";
  current_node_id: string;
  next_run_at: string | null;
  awaiting: string | null;
  enrolled_at: string;
  last_progress_at: string;
  paused_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  display_name: string | null;
  channel: string;
  external_id: string;
  steps_done: number;
}

export async function listProgramEnrollments(env: Env, creatorId: string, programId: string, q: { status?: Row["status"]; page: number; limit: number }) {
  await findProgram(env, creatorId, programId);
  const status = q.status ?? null;
  // The (creator, program, status) index serves both; the user comes from its primary key.
  const [rows, total] = await env.DB.batch([
    env.DB.prepare(
      `SELECT e.id, e.program_id, e.version, e.end_user_id, e.status, e.current_node_id, e.next_run_at, e.awaiting, e.enrolled_at,
              e.last_progress_at, e.paused_at, e.completed_at, e.cancelled_at, u.display_name, u.channel, u.external_id,
              (SELECT count(*) FROM enrollment_steps s WHERE s.enrollment_id = e.id AND s.outcome <> 'asked' AND s.node_type <> 'start') AS steps_done
       FROM program_enrollments e JOIN end_users u ON u.id = e.end_user_id AND u.creator_id = e.creator_id
       WHERE e.creator_id = ?1 AND e.program_id = ?2 AND (?3 IS NULL OR e.status = ?3)
       ORDER BY e.enrolled_at DESC, e.id LIMIT ?4 OFFSET ?5`,
    ).bind(creatorId, programId, status, q.limit, (q.page - 1) * q.limit),
    env.DB.prepare("SELECT count(*) AS n FROM program_enrollments WHERE creator_id = ?1 AND program_id = ?2 AND (?3 IS NULL OR status = ?3)").bind(creatorId, programId, status),
  ]);
  const list = rows!.results as unknown as Row[];
  const versions = new Map<number, Awaited<ReturnType<typeof loadVersion>>>();
  for (const v of new Set(list.map((r) => r.version))) versions.set(v, await loadVersion(env, programId, v));
  const now = clock.iso();
  const count = Number((total!.results[0] as { n: number } | undefined)?.n ?? 0);
  return {
    enrollments: list.map((r) => {
      const flow = versions.get(r.version)?.flow;
      const node = flow ? nodeById(flow, r.current_node_id) : undefined;
      const running = r.status === "active" || r.status === "paused";
      return {
        enrollment_id: r.id,
        program_id: r.program_id,
        version: r.version,
        status: r.status,
        user: { id: r.end_user_id, display_name: r.display_name, channel: r.channel === "widget" ? "web" : r.channel, external_id: r.external_id },
        progress: flow ? progressOf(flow, r.current_node_id, Number(r.steps_done), r.status === "completed") : 0,
        current_step:
          running && node
            ? { node_id: node.id, type: node.type, waiting_for: r.awaiting === "answer" ? ("answer" as const) : r.next_run_at && r.next_run_at > now ? ("time" as const) : null, due_at: r.next_run_at }
            : null,
        enrolled_at: r.enrolled_at,
        last_progress_at: r.last_progress_at,
        paused_at: r.paused_at,
        completed_at: r.completed_at,
        cancelled_at: r.cancelled_at,
      };
    }),
    pagination: { page: q.page, limit: q.limit, total: count, pages: Math.ceil(count / q.limit) },
  };
}
