// Delivers claimed proactive sends. Re-checks everything at send time (opt-out, reachability,
// quiet hours, the WhatsApp window, the daily cap) because the world moves between tick and send.
import type { Env } from "../../env";
import { config } from "../../config";
import type { RuleAction } from "../../db/schema";
import { answer } from "../../ai/answer";
import { clock, HOUR } from "../../lib/clock";
import { localDate, quietHoursEnd, zoneOrUtc } from "../../lib/timezone";
import { deliverToEndUser } from "../programs";
import { renderTemplate } from "../programs";
import { memoryValues } from "../memory";

interface SendRow {
  id: number;
  occurrence_key: string;
  creator_id: string;
  rule_id: string;
  end_user_id: string;
  action_index: number;
  status: string;
  actions: string | null;
  is_active: number | null;
  user_status: string;
  channel: string;
  timezone: string | null;
  last_active_at: string | null;
  display_name: string | null;
  profile: string;
  opted_out: number;
}

const finish = (env: Env, id: number, status: "skipped" | "failed", reason: string) =>
  env.DB.prepare("UPDATE proactive_sends SET status = ?, skip_reason = ?, claimed_until = NULL WHERE id = ? AND status IN ('pending', 'queued', 'sending')")
    .bind(status, reason, id)
    .run();

/** Long-term memories by key ({memory.goal}); read only when a template asks for them. */
type Memory = Record<string, unknown>;

/** Whether an action's texts (message, prompt, WhatsApp parameters) use {memory.…}. */
export function actionNeedsMemory(action: RuleAction): boolean {
  return /\{\s*memory\./.test(JSON.stringify(action));
}

/** The memories a send of this action needs for this user (none read when the action uses none). */
export async function actionMemory(env: Env, action: RuleAction, creatorId: string, endUserId: string): Promise<Memory> {
  return actionNeedsMemory(action) ? memoryValues(env, creatorId, endUserId) : {};
}

/** What the message would say for this user (also used by the preview, without AI calls). */
export function renderAction(action: RuleAction, user: { display_name: string | null; profile: string }, memory: Memory = {}): string {
  const templateUser = { displayName: user.display_name, profile: JSON.parse(user.profile || "{}") as Record<string, unknown>, memory };
  return renderTemplate(action.type === "send_message" ? action.message_template ?? "" : action.prompt ?? "", templateUser);
}

/** The action's template with its parameters written for this user ({user_name}, profile fields, memories). */
function renderWhatsAppTemplate(template: NonNullable<RuleAction["whatsapp_template"]>, user: { display_name: string | null; profile: string }, memory: Memory) {
  const templateUser = { displayName: user.display_name, profile: JSON.parse(user.profile || "{}") as Record<string, unknown>, memory };
  return { ...template, ...(template.parameters && { parameters: template.parameters.map((p) => renderTemplate(p, templateUser)) }) };
}

/** Why this user can't get a proactive message now (null: they can). Shared with the preview. */
export function blocker(env: Env, row: Pick<SendRow, "user_status" | "opted_out" | "channel" | "last_active_at" | "timezone">, action: RuleAction | undefined, now: number):
  | { skip: string }
  | { deferUntil: number }
  | null {
  const cfg = config(env).proactive;
  if (row.opted_out) return { skip: "opted_out" };
  if (row.user_status !== "active") return { skip: "unreachable" };
  if (row.channel === "whatsapp" && !action?.whatsapp_template) {
    const last = row.last_active_at ? Date.parse(row.last_active_at) : 0;
    if (now - last > cfg.whatsappWindowHours * HOUR) return { skip: "whatsapp_window" };
  }
  const end = quietHoursEnd(now, zoneOrUtc(row.timezone), cfg.quietHours.start, cfg.quietHours.end);
  return end === null ? null : { deferUntil: end };
}

async function deliverOne(env: Env, id: number): Promise<void> {
  const now = clock.now();
  const row = await env.DB.prepare(
    `SELECT s.id, s.creator_id, s.rule_id, s.end_user_id, s.occurrence_key, s.action_index, s.status, r.actions, r.is_active,
            u.status AS user_status, u.channel, u.timezone, u.last_active_at, u.display_name, u.profile,
            EXISTS (SELECT 1 FROM proactive_opt_outs o WHERE o.end_user_id = s.end_user_id) AS opted_out
       FROM proactive_sends s JOIN end_users u ON u.id = s.end_user_id LEFT JOIN proactive_rules r ON r.id = s.rule_id
      WHERE s.id = ?`,
  )
    .bind(id)
    .first<SendRow>();
  if (!row || !["queued", "sending"].includes(row.status)) return; // done already, or deferred again
  if (!row.is_active || !row.actions) return void (await finish(env, id, "skipped", "rule_inactive"));
  const action = (JSON.parse(row.actions) as RuleAction[])[row.action_index];
  if (!action) return void (await finish(env, id, "skipped", "action_removed"));

  const block = blocker(env, row, action, now);
  if (block && "skip" in block) return void (await finish(env, id, "skipped", block.skip));
  if (block && "deferUntil" in block) {
    // Quiet hours: back to pending, due when they end on the user's clock.
    await env.DB.prepare("UPDATE proactive_sends SET status = 'pending', due_at = ?, claimed_until = NULL, skip_reason = 'quiet_hours' WHERE id = ? AND status IN ('queued', 'sending')")
      .bind(new Date(block.deferUntil).toISOString(), id)
      .run();
    return;
  }

  // The daily cap, atomically: the claim counts this user's sends of the local day in the same
  // statement, so two concurrent sends can't both squeeze under the cap. A send already claimed
  // (a retry after a crash) passes again: it doesn't count against itself.
  const day = localDate(now, zoneOrUtc(row.timezone));
  const claimed = await env.DB.prepare(
    `UPDATE proactive_sends SET status = 'sending', local_date = ?1
      WHERE id = ?2 AND status IN ('queued', 'sending')
        AND (SELECT count(*) FROM proactive_sends s2 WHERE s2.end_user_id = ?3 AND s2.local_date = ?1 AND s2.status IN ('sending', 'sent') AND s2.id <> ?2) < ?4
      RETURNING id`,
  )
    .bind(day, id, row.end_user_id, config(env).proactive.dailyCap)
    .first();
  if (!claimed) return void (await finish(env, id, "skipped", "daily_cap"));

  // Memories are read at send time (the same renderer as program messages): the latest the user told us.
  const memory = await actionMemory(env, action, row.creator_id, row.end_user_id);
  const text =
    action.type === "ai_message"
      ? (await answer(env, { creatorId: row.creator_id, message: renderAction(action, row, memory) })).response
      : renderAction(action, row, memory);
  const result = await deliverToEndUser(env, {
    creatorId: row.creator_id,
    endUserId: row.end_user_id,
    text,
    sender: "ai",
    kind: "proactive",
    // The occurrence itself is the key (stable even if ledger rowids were ever reused).
    idempotencyKey: `proactive:${row.rule_id}:${row.end_user_id}:${row.occurrence_key}:${row.action_index}`,
    // The channel decides at send time whether the window is open (free text) or the template goes.
    ...(row.channel === "whatsapp" && action.whatsapp_template ? { whatsappTemplate: renderWhatsAppTemplate(action.whatsapp_template, row, memory) } : {}),
  });
  if (!result.delivered) return void (await finish(env, id, "skipped", result.reason ?? "undeliverable"));
  await env.DB.prepare("UPDATE proactive_sends SET status = 'sent', sent_at = ?, text = ?, skip_reason = NULL, claimed_until = NULL WHERE id = ? AND status = 'sending'")
    .bind(new Date(now).toISOString(), text, id)
    .run();
}

/** One queue job: its sends one by one; a failure throws so the queue retries the job (each send is idempotent). */
export async function deliverSends(env: Env, ids: number[]): Promise<void> {
  for (const id of ids) await deliverOne(env, id);
}
