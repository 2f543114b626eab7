// From activity events to deliveries: one delivery per (subscribed, enabled endpoint, event), created
// at most once (unique on endpoint + event), each sent by its own JOBS message.
import type { Env } from "../../env";
import { newId } from "../../lib/ids";
import { WEBHOOK_EVENTS } from "./schemas";

export interface ActivityEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: string;
}

const PUBLIC = new Set<string>(WEBHOOK_EVENTS);

export async function enqueueDelivery(env: Env, creatorId: string, deliveryId: string, delaySeconds: number): Promise<void> {
  await env.JOBS.send({ type: "webhook.deliver", creatorId, deliveryId }, delaySeconds > 0 ? { delaySeconds } : undefined);
}

export async function fanOutWebhooks(env: Env, creatorId: string, events: ActivityEvent[]): Promise<void> {
  const wanted = events.filter((e) => PUBLIC.has(e.type));
  if (!wanted.length) return;
  const endpoints = (
    await env.DB.prepare("SELECT id, events FROM webhook_endpoints WHERE creator_id = ? AND enabled = 1").bind(creatorId).all<{ id: string; events: string }>()
  ).results.map((r) => ({ id: r.id, events: new Set(JSON.parse(r.events) as string[]) }));
  if (!endpoints.length) return;
  const statements: D1PreparedStatement[] = [];
  for (const event of wanted) {
    // creator-hub-api.md "Webhook Payload Example": {event, timestamp, data, creator_id}.
    const payload = JSON.stringify({ event: event.type, timestamp: event.createdAt, data: event.data, creator_id: creatorId });
    for (const endpoint of endpoints) {
      if (!endpoint.events.has(event.type)) continue;
      statements.push(
        env.DB.prepare(
          `INSERT INTO webhook_deliveries (id, creator_id, endpoint_id, event_id, event_type, payload, status, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
           ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
        ).bind(newId(), creatorId, endpoint.id, event.id, event.type, payload),
      );
    }
  }
  if (!statements.length) return;
  const created = (await env.DB.batch<{ id: string }>(statements)).flatMap((r) => r.results.map((row) => row.id));
  // Queues take up to 100 messages per sendBatch. A lost send is re-enqueued by the cron sweep.
  for (let i = 0; i < created.length; i += 100) {
    await env.JOBS.sendBatch(created.slice(i, i + 100).map((deliveryId) => ({ body: { type: "webhook.deliver" as const, creatorId, deliveryId } })));
  }
}
