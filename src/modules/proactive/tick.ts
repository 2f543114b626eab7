// The cron tick: hands due program steps to the queue, evaluates every active proactive rule into
// the send ledger with set-based SQL, and hands due sends to the queue in bounded chunks.
import type { Env } from "../../env";
import { config } from "../../config";
import type { JobMessage } from "../../jobs/types";
import { clock, MINUTE } from "../../lib/clock";
import { log } from "../../lib/logging";
import { dispatchDueEnrollments } from "../programs";
import { candidates, parseActions, windowStart, type RuleRow, type ZoneCache } from "./evaluate";

export interface TickResult {
  enrollmentsDispatched: number;
  rulesEvaluated: number;
  sendsCreated: number;
  sendsQueued: number;
  jobsQueued: number;
}

/**
 * Writes the rule's due (user, occurrence, action) rows into the ledger. The unique key on the
 * ledger makes overlapping or retried ticks harmless: a row that exists is never written twice.
 */
export async function evaluateRule(env: Env, rule: RuleRow, now: number, zoneCache?: ZoneCache): Promise<number> {
  const { catchUpMinutes, dispatchChunk } = config(env).proactive;
  const from = windowStart(rule, now, catchUpMinutes);
  const actions = parseActions(rule);
  const nowIso = new Date(now).toISOString();
  let created = 0;
  for (const c of await candidates(env, rule, from, now, true, zoneCache)) {
    const n = c.binds.length;
    const [pRule, pNow, pFrom, pTo] = [n + 1, n + 2, n + 3, n + 4].map((i) => `?${i}`);
    // The actions as a constant table (index, due time) computed here: nothing per row but the copy.
    const actionBinds = actions.map((a) => new Date(now + (a.delay_minutes ?? 0) * MINUTE).toISOString());
    const actionRows = actionBinds.map((_, i) => `SELECT ${i} AS idx, ?${n + 5 + i} AS due`).join(" UNION ALL ");
    // Keyset chunks over the users' ids: each chunk is found by an index seek and written by one
    // short statement, so neither the Worker's memory nor the database's write lock grows with
    // the audience. Rows that exist already (an overlapping tick) are left alone by ON CONFLICT.
    const boundary = env.DB.prepare(
      `SELECT max(k) AS last, count(*) AS n FROM (SELECT k FROM (${c.sql}) WHERE k > ?${n + 1} ORDER BY k LIMIT ?${n + 2})`,
    );
    const insert = env.DB.prepare(
      `INSERT INTO proactive_sends (creator_id, rule_id, end_user_id, occurrence_key, action_index, status, due_at, created_at)
       SELECT ?1, ${pRule}, c.end_user_id, c.occurrence_key, a.idx, 'pending', a.due, ${pNow}
         FROM (${c.sql}) c, (${actionRows}) a
        WHERE c.k > ${pFrom} AND c.k <= ${pTo}
       ON CONFLICT DO NOTHING`,
    );
    let last = "";
    for (;;) {
      const chunk = await boundary.bind(...c.binds, last, dispatchChunk).first<{ last: string | null; n: number }>();
      if (!chunk?.n || chunk.last === null) break;
      const r = await insert.bind(...c.binds, rule.id, nowIso, last, chunk.last, ...actionBinds).run();
      created += r.meta.changes ?? 0;
      last = chunk.last;
      if (chunk.n < dispatchChunk) break;
    }
  }
  await env.DB.prepare("UPDATE proactive_rules SET evaluated_until = ?1 WHERE id = ?2 AND (evaluated_until IS NULL OR evaluated_until < ?1)")
    .bind(nowIso, rule.id)
    .run();
  return created;
}

/** Claims due sends (pending, or queued/sending whose lease ran out) and enqueues them in chunks. */
export async function dispatchDueSends(env: Env, now: number): Promise<{ sends: number; jobs: number }> {
  const { dispatchChunk, sendsPerJob } = config(env).proactive;
  const lease = new Date(now + config(env).programs.leaseSeconds * 1000).toISOString();
  const nowIso = new Date(now).toISOString();
  let sends = 0;
  let jobs = 0;
  for (;;) {
    const claimed = await env.DB.prepare(
      `UPDATE proactive_sends SET status = CASE status WHEN 'pending' THEN 'queued' ELSE status END, claimed_until = ?1
        WHERE id IN (SELECT id FROM proactive_sends
                      WHERE status IN ('pending', 'queued', 'sending') AND due_at <= ?2 AND (claimed_until IS NULL OR claimed_until <= ?2)
                      LIMIT ?3)
        RETURNING id`,
    )
      .bind(lease, nowIso, dispatchChunk)
      .all<{ id: number }>();
    const ids = claimed.results.map((r) => r.id);
    const messages: { body: JobMessage }[] = [];
    for (let i = 0; i < ids.length; i += sendsPerJob) messages.push({ body: { type: "proactive.send", sendIds: ids.slice(i, i + sendsPerJob) } });
    for (let i = 0; i < messages.length; i += 100) await env.JOBS.sendBatch(messages.slice(i, i + 100));
    sends += ids.length;
    jobs += messages.length;
    if (ids.length < dispatchChunk) return { sends, jobs };
  }
}

export async function runTick(env: Env, now: number = clock.now()): Promise<TickResult> {
  // Wall time per phase for the log (Date.now() moves across I/O in workerd, which is what we time).
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  const enrollmentsDispatched = await dispatchDueEnrollments(env, now);
  phases.enrollments_ms = Date.now() - t0;
  // Every active rule, on purpose: whether one can be due is not a column condition. Inactivity,
  // program_stalled and milestone rules are due whenever a user crosses their threshold or an event
  // lands, which only their own indexed candidate query can tell (and it is one index probe when
  // nothing is due); a scheduled rule is due when the clock of one of its creator's timezones shows
  // its time, which needs the zones' offsets (DST included) — a precomputed "next due" would go
  // stale the moment a user in a new timezone arrives. The list is the creators' configuration
  // (tens of rules each), read once per tick from the (is_active, creator_id) index.
  const rules = await env.DB.prepare(
    "SELECT id, creator_id, trigger_type, trigger_conditions, actions, evaluated_until FROM proactive_rules WHERE is_active = 1",
  ).all<RuleRow>();
  let sendsCreated = 0;
  const zoneCache: ZoneCache = new Map();
  for (const rule of rules.results) {
    try {
      const started = Date.now();
      sendsCreated += await evaluateRule(env, rule, now, zoneCache);
      phases[`rule_${rule.trigger_type}_ms`] = (phases[`rule_${rule.trigger_type}_ms`] ?? 0) + Date.now() - started;
    } catch (err) {
      // One broken rule must not stop the others; its window stays open for the next tick.
      log("error", "proactive rule evaluation failed", { ruleId: rule.id, error: String(err) });
    }
  }
  const dispatchStarted = Date.now();
  const { sends, jobs } = await dispatchDueSends(env, now);
  phases.dispatch_sends_ms = Date.now() - dispatchStarted;
  phases.total_ms = Date.now() - t0;
  const result = { enrollmentsDispatched, rulesEvaluated: rules.results.length, sendsCreated, sendsQueued: sends, jobsQueued: jobs + enrollmentsDispatched };
  log("info", "tick", { ...result, phases });
  return result;
}
