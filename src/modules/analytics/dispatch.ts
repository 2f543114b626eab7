// Hands a creator's new activity events to outgoing webhooks, the live inbox and notifications: claimed in seq
// order, marked done after the hand-over; a claim that didn't finish is taken again after a minute
// (by the next flush or the cron sweep), and deliveries are unique per event, so nothing doubles.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { inboxEvents, inboxStub } from "../notifications";
import { onEscalation } from "../notifications";
import { fanOutWebhooks, type ActivityEvent } from "../webhooks";
import type { JobMessage } from "../../jobs/types";

const CLAIM_STALE_MS = 60_000;
const PER_CLAIM = 100;

export async function dispatchActivity(env: Env, creatorId: string): Promise<number> {
  let total = 0;
  for (;;) {
    const now = clock.now();
    const claimed = await env.DB.prepare(
      `UPDATE activity_events SET claimed_at = ?1
       WHERE seq IN (SELECT seq FROM activity_events WHERE dispatched = 0 AND creator_id = ?2
                       AND (claimed_at IS NULL OR claimed_at < ?3) ORDER BY seq LIMIT ?4)
       RETURNING seq, id, type, data, created_at`,
    )
      .bind(new Date(now).toISOString(), creatorId, new Date(now - CLAIM_STALE_MS).toISOString(), PER_CLAIM)
      .all<{ seq: number; id: string; type: string; data: string; created_at: string }>();
    const rows = claimed.results.sort((a, b) => a.seq - b.seq);
    if (!rows.length) return total;
    const events: (ActivityEvent & { seq: number })[] = rows.map((r) => ({ seq: r.seq, id: r.id, type: r.type, data: JSON.parse(r.data), createdAt: r.created_at }));
    await fanOutWebhooks(env, creatorId, events);
    const live = inboxEvents(events);
    if (live.length) await inboxStub(env, creatorId).publish(live);
    for (const e of events) if (e.type === "escalation.created") await onEscalation(env, creatorId, e.data);
    // A resolved Telegram/WhatsApp conversation asks its visitor for a rating (channels, on the queue).
    const prompts = events.filter((e) => e.type === "conversation.resolved" && (e.data.channel === "telegram" || e.data.channel === "whatsapp"));
    if (prompts.length) {
      await env.JOBS.sendBatch(prompts.map((e) => ({ body: { type: "channel.rating_prompt", creatorId, conversationId: String(e.data.conversation_id), eventId: e.id } satisfies JobMessage })));
    }
    await env.DB.prepare(`UPDATE activity_events SET dispatched = 1 WHERE creator_id = ? AND seq IN (SELECT value FROM json_each(?))`)
      .bind(creatorId, JSON.stringify(rows.map((r) => r.seq)))
      .run();
    total += rows.length;
    if (rows.length < PER_CLAIM) return total;
  }
}

/** Records an event that doesn't come from a mirror flush (user created, enrolment, rating) and dispatches it. */
export async function recordActivity(env: Env, creatorId: string, type: string, data: Record<string, unknown>, id: string = crypto.randomUUID()): Promise<void> {
  await env.DB.prepare("INSERT INTO activity_events (id, creator_id, type, data, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
    .bind(id, creatorId, type, JSON.stringify(data), clock.iso())
    .run();
  await dispatchActivity(env, creatorId);
}

/** The cron's sweep: events whose dispatch never finished (a crash between commit and hand-over). */
export async function sweepActivity(env: Env): Promise<void> {
  const stale = new Date(clock.now() - CLAIM_STALE_MS).toISOString();
  const creators = await env.DB.prepare(
    `SELECT DISTINCT creator_id FROM activity_events WHERE dispatched = 0 AND (claimed_at IS NULL OR claimed_at < ?) LIMIT 50`,
  )
    .bind(stale)
    .all<{ creator_id: string }>();
  for (const { creator_id } of creators.results) await dispatchActivity(env, creator_id);
}
