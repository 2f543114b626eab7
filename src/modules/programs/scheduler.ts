// The program half of the cron tick: hands every due enrolment step to the JOBS queue.
import type { Env } from "../../env";
import { config } from "../../config";
import type { JobMessage } from "../../jobs/types";

/**
 * Claims due enrolments in chunks (indexed on status, next_run_at) with a lease so an overlapping
 * tick skips them, and enqueues one job per enrolment naming the step it expects to run.
 */
export async function dispatchDueEnrollments(env: Env, now: number): Promise<number> {
  const { leaseSeconds, dispatchChunk } = config(env).programs;
  const nowIso = new Date(now).toISOString();
  const leaseIso = new Date(now + leaseSeconds * 1000).toISOString();
  let total = 0;
  // Keyset over (next_run_at, id): enrolments claimed by an earlier chunk stay in the index range
  // (still active and due), so each chunk starts after the last one instead of rescanning them.
  let last: { at: string; id: string } = { at: "", id: "" };
  for (;;) {
    const claimed = await env.DB.prepare(
      `UPDATE program_enrollments SET claimed_until = ?1
        WHERE id IN (SELECT id FROM program_enrollments
                      WHERE status = 'active' AND next_run_at <= ?2 AND (claimed_until IS NULL OR claimed_until <= ?2)
                        AND next_run_at >= ?4 AND (next_run_at > ?4 OR id > ?5)
                      ORDER BY next_run_at, id LIMIT ?3)
        RETURNING id, creator_id, step_index, next_run_at`,
    )
      .bind(leaseIso, nowIso, dispatchChunk, last.at, last.id)
      .all<{ id: string; creator_id: string; step_index: number; next_run_at: string }>();
    const jobs: JobMessage[] = claimed.results.map((r) => ({ type: "program.step", creatorId: r.creator_id, enrollmentId: r.id, stepIndex: r.step_index }));
    for (let i = 0; i < jobs.length; i += 100) await env.JOBS.sendBatch(jobs.slice(i, i + 100).map((body) => ({ body })));
    total += jobs.length;
    for (const r of claimed.results) if (r.next_run_at > last.at || (r.next_run_at === last.at && r.id > last.id)) last = { at: r.next_run_at, id: r.id };
    if (claimed.results.length < dispatchChunk) return total;
  }
}
