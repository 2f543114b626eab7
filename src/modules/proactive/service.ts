// Proactive rules: CRUD with their counters, the engine's analytics, and the dry-run preview.
import type { z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { proactiveRules, type RuleAction, type TriggerConditions } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { clock, DAY } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { localDate, zoneOrUtc } from "../../lib/timezone";
import { candidates, parseActions, windowStart, type RuleRow } from "./evaluate";
import type { AnalyticsQuery, CreateRuleSchema, UpdateRuleSchema } from "./schemas";
import { apiChannel } from "../users";
import { actionMemory, blocker, renderAction } from "./send";

type Row = typeof proactiveRules.$inferSelect;
const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 1000 : 0);

async function counters(env: Env, creatorId: string, ruleIds: string[]) {
  if (!ruleIds.length) return new Map<string, { sent: number; responded: number }>();
  const r = await env.DB.prepare(
    `SELECT rule_id, sum(status = 'sent') AS sent, sum(status = 'sent' AND responded_at IS NOT NULL) AS responded
       FROM proactive_sends WHERE creator_id = ? AND rule_id IN (SELECT value FROM json_each(?)) GROUP BY rule_id`,
  )
    .bind(creatorId, JSON.stringify(ruleIds))
    .all<{ rule_id: string; sent: number; responded: number }>();
  return new Map(r.results.map((x) => [x.rule_id, x]));
}

function present(row: Row, c: { sent: number; responded: number } | undefined) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    trigger_conditions: row.triggerConditions as Record<string, unknown>,
    actions: row.actions as unknown as Record<string, unknown>[],
    is_active: row.isActive,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    triggered_count: c?.sent ?? 0,
    success_rate: rate(c?.responded ?? 0, c?.sent ?? 0),
  };
}

async function find(env: Env, creatorId: string, id: string): Promise<Row> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(proactiveRules).where(t.where(proactiveRules, eq(proactiveRules.id, id))).get();
  if (!row) throw notFound("Rule");
  return row;
}

export async function createRule(env: Env, creatorId: string, input: z.infer<typeof CreateRuleSchema>) {
  const t = tenant(env.DB, creatorId);
  const at = clock.iso();
  const row = await t.db
    .insert(proactiveRules)
    .values({
      id: newId(),
      creatorId,
      name: input.name,
      description: input.description ?? null,
      triggerType: input.trigger_conditions.type,
      triggerConditions: input.trigger_conditions as TriggerConditions,
      actions: input.actions as RuleAction[],
      isActive: input.is_active,
      createdAt: at,
      updatedAt: at,
    })
    .returning()
    .get();
  return present(row, undefined);
}

export async function listRules(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(proactiveRules).where(t.where(proactiveRules)).orderBy(desc(proactiveRules.createdAt), desc(proactiveRules.id)).all();
  const c = await counters(env, creatorId, rows.map((r) => r.id));
  return { rules: rows.map((r) => present(r, c.get(r.id))), total: rows.length };
}

export async function getRule(env: Env, creatorId: string, id: string) {
  const row = await find(env, creatorId, id);
  return present(row, (await counters(env, creatorId, [id])).get(id));
}

export async function updateRule(env: Env, creatorId: string, id: string, input: z.infer<typeof UpdateRuleSchema>) {
  const row = await find(env, creatorId, id);
  const t = tenant(env.DB, creatorId);
  const trigger = (input.trigger_conditions as TriggerConditions | undefined) ?? row.triggerConditions;
  const updated = await t.db
    .update(proactiveRules)
    .set({
      name: input.name ?? row.name,
      description: input.description === undefined ? row.description : input.description,
      triggerType: trigger.type,
      triggerConditions: trigger,
      actions: (input.actions as RuleAction[] | undefined) ?? row.actions,
      isActive: input.is_active ?? row.isActive,
      // A new trigger starts a new evaluation window (no catch-up on the old one's history).
      evaluatedUntil: input.trigger_conditions ? null : row.evaluatedUntil,
      updatedAt: clock.iso(),
    })
    .where(t.where(proactiveRules, eq(proactiveRules.id, id)))
    .returning()
    .get();
  return present(updated!, (await counters(env, creatorId, [id])).get(id));
}

export async function deleteRule(env: Env, creatorId: string, id: string) {
  await find(env, creatorId, id);
  // Sends already delivered stay in the ledger (analytics); pending ones are dropped.
  await env.DB.batch([
    env.DB.prepare("DELETE FROM proactive_sends WHERE creator_id = ? AND rule_id = ? AND status IN ('pending', 'queued')").bind(creatorId, id),
    env.DB.prepare("DELETE FROM proactive_rules WHERE creator_id = ? AND id = ?").bind(creatorId, id),
  ]);
}

export async function analytics(env: Env, creatorId: string, q: z.infer<typeof AnalyticsQuery>) {
  const now = clock.now();
  const end = q.end_date ?? new Date(now).toISOString().slice(0, 10);
  const start = q.start_date ?? new Date(Date.parse(end) - 29 * DAY).toISOString().slice(0, 10);
  // Dates are UTC days, inclusive; a send belongs to the day it was sent.
  const from = `${start}T00:00:00.000Z`;
  const to = new Date(Date.parse(end) + DAY).toISOString();
  const rows = await env.DB.prepare(
    `SELECT r.id AS rule_id, r.name AS rule_name,
            count(s.id) AS triggers,
            sum(s.responded_at IS NOT NULL) AS successes,
            avg(CASE WHEN s.responded_at IS NOT NULL THEN (julianday(s.responded_at) - julianday(s.sent_at)) * 24 END) AS avg_hours
       FROM proactive_rules r
       LEFT JOIN proactive_sends s ON s.rule_id = r.id AND s.status = 'sent' AND s.sent_at >= ?2 AND s.sent_at < ?3
      WHERE r.creator_id = ?1
      GROUP BY r.id ORDER BY r.created_at`,
  )
    .bind(creatorId, from, to)
    .all<{ rule_id: string; rule_name: string; triggers: number; successes: number | null; avg_hours: number | null }>();
  const skipped = await env.DB.prepare(
    `SELECT skip_reason AS reason, count(*) AS n FROM proactive_sends
      WHERE creator_id = ? AND status = 'skipped' AND created_at >= ? AND created_at < ? GROUP BY skip_reason`,
  )
    .bind(creatorId, from, to)
    .all<{ reason: string; n: number }>();
  const totals = await env.DB.prepare(
    `SELECT count(*) AS triggers, sum(responded_at IS NOT NULL) AS successes,
            avg(CASE WHEN responded_at IS NOT NULL THEN (julianday(responded_at) - julianday(sent_at)) * 24 END) AS avg_hours
       FROM proactive_sends WHERE creator_id = ? AND status = 'sent' AND sent_at >= ? AND sent_at < ?`,
  )
    .bind(creatorId, from, to)
    .first<{ triggers: number; successes: number | null; avg_hours: number | null }>();
  const triggers = totals?.triggers ?? 0;
  const successes = totals?.successes ?? 0;
  return {
    date_range: { start_date: start, end_date: end },
    summary: {
      total_triggers: triggers,
      successful_engagements: successes,
      success_rate: rate(successes, triggers),
      average_response_time_hours: totals?.avg_hours == null ? null : Math.round(totals.avg_hours * 100) / 100,
      skipped: Object.fromEntries(skipped.results.map((s) => [s.reason ?? "unknown", s.n])),
    },
    rule_performance: rows.results.map((r) => ({
      rule_id: r.rule_id,
      rule_name: r.rule_name,
      triggers: r.triggers,
      successes: r.successes ?? 0,
      success_rate: rate(r.successes ?? 0, r.triggers),
      average_response_time_hours: r.avg_hours == null ? null : Math.round(r.avg_hours * 100) / 100,
    })),
  };
}

const PREVIEW_LIMIT = 100;

/** Who would receive what if the engine ran now (reads only; the same SQL as the tick). */
export async function preview(env: Env, creatorId: string, id: string) {
  const row = await find(env, creatorId, id);
  const now = clock.now();
  const rule: RuleRow = {
    id: row.id,
    creator_id: creatorId,
    trigger_type: row.triggerType,
    trigger_conditions: JSON.stringify(row.triggerConditions),
    actions: JSON.stringify(row.actions),
    evaluated_until: row.evaluatedUntil,
  };
  const actions = parseActions(rule);
  const from = windowStart(rule, now, config(env).proactive.catchUpMinutes);
  const recipients: Record<string, unknown>[] = [];
  let total = 0;
  for (const c of await candidates(env, rule, from, now, false)) {
    const n = c.binds.length;
    const base = `FROM (${c.sql}) c JOIN end_users u2 ON u2.id = c.end_user_id`;
    const count = await env.DB.prepare(`SELECT count(*) AS n ${base}`).bind(...c.binds).first<{ n: number }>();
    total += count?.n ?? 0;
    if (recipients.length >= PREVIEW_LIMIT) continue;
    const rows = await env.DB.prepare(
      `SELECT c.end_user_id, c.occurrence_key, u2.display_name, u2.profile, u2.channel, u2.timezone, u2.status AS user_status, u2.last_active_at,
              EXISTS (SELECT 1 FROM proactive_opt_outs o WHERE o.end_user_id = c.end_user_id) AS opted_out,
              EXISTS (SELECT 1 FROM proactive_sends s WHERE s.rule_id = ?${n + 1} AND s.end_user_id = c.end_user_id AND s.occurrence_key = c.occurrence_key) AS already
       ${base} LIMIT ${PREVIEW_LIMIT - recipients.length}`,
    )
      .bind(...c.binds, row.id)
      .all<{ end_user_id: string; occurrence_key: string; display_name: string | null; profile: string; channel: string; timezone: string | null; user_status: string; last_active_at: string | null; opted_out: number; already: number }>();
    // Today's proactive sends per user (the cap counts per local day, so compare per user's zone).
    const sentDays = await env.DB.prepare(
      `SELECT end_user_id, local_date, count(*) AS n FROM proactive_sends
        WHERE end_user_id IN (SELECT value FROM json_each(?1)) AND status IN ('sending', 'sent') AND local_date >= ?2 GROUP BY end_user_id, local_date`,
    )
      .bind(JSON.stringify(rows.results.map((u) => u.end_user_id)), localDate(now - DAY, "UTC"))
      .all<{ end_user_id: string; local_date: string; n: number }>();
    const sentToday = (u: { end_user_id: string; timezone: string | null }) =>
      sentDays.results.find((d) => d.end_user_id === u.end_user_id && d.local_date === localDate(now, zoneOrUtc(u.timezone)))?.n ?? 0;
    for (const u of rows.results) {
      for (const [i, action] of actions.entries()) {
        const memory = await actionMemory(env, action, creatorId, u.end_user_id);
        const sendAt = now + action.delay_minutes * 60_000;
        const block = blocker(env, u, action, sendAt);
        const skip = u.already ? "already_sent" : block && "skip" in block ? block.skip : sentToday(u) >= config(env).proactive.dailyCap ? "daily_cap" : null;
        recipients.push({
          user_id: u.end_user_id,
          name: u.display_name,
          channel: apiChannel(u.channel),
          timezone: zoneOrUtc(u.timezone),
          occurrence: u.occurrence_key,
          action_index: i,
          action_type: action.type,
          message: action.type === "send_message" ? renderAction(action, u, memory) : null,
          prompt: action.type === "ai_message" ? renderAction(action, u, memory) : null,
          send_at: new Date(block && "deferUntil" in block ? block.deferUntil : sendAt).toISOString(),
          deferred_by_quiet_hours: Boolean(block && "deferUntil" in block),
          would_send: skip === null,
          skip_reason: skip,
        });
      }
    }
  }
  return { rule_id: row.id, evaluated_at: new Date(now).toISOString(), total_recipients: total, recipients };
}
