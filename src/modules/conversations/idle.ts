// The cron's idle sweep: active conversations whose last message is older than the setting are
// marked completed, each by its own Durable Object (the live state's owner, which checks the idle
// time against its own log, since the D1 mirror lags).
import { config } from "../../config";
import type { Env } from "../../env";
import { clock, HOUR } from "../../lib/clock";
import { log } from "../../lib/logging";
import { conversationStub } from "../../realtime";

/** Calls into conversation objects at once: enough to overlap their D1 flushes, not a stampede. */
const PARALLEL = 20;

export async function completeIdleConversations(env: Env): Promise<{ checked: number; completed: number }> {
  const { idleCompleteHours, idleCompletePerTick } = config(env).realtime;
  if (idleCompleteHours <= 0) return { checked: 0, completed: 0 };
  const idleBefore = new Date(clock.now() - idleCompleteHours * HOUR).toISOString();
  // Across creators on purpose (a platform sweep, like the proactive tick); each row's own creator id
  // is what the object is then asked with, and it checks it against its state.
  const { results } = await env.DB.prepare(
    `SELECT id, creator_id FROM conversations
      WHERE status = 'active' AND last_message_at IS NOT NULL AND last_message_at < ?1
      ORDER BY last_message_at LIMIT ?2`,
  )
    .bind(idleBefore, idleCompletePerTick)
    .all<{ id: string; creator_id: string }>();
  let completed = 0;
  for (let i = 0; i < results.length; i += PARALLEL) {
    const outcomes = await Promise.allSettled(
      results.slice(i, i + PARALLEL).map((r) => conversationStub(env, r.id).complete(r.id, r.creator_id, "idle", idleBefore)),
    );
    for (const o of outcomes) {
      if (o.status === "fulfilled" && o.value.changed) completed++;
      else if (o.status === "rejected") log("warn", "idle conversation could not be completed", { error: String(o.reason) });
    }
  }
  return { checked: results.length, completed };
}
