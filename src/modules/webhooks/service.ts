// Webhook endpoints of a creator: create (secret shown once), read, change, delete, rotate the
// secret; the delivery log and manual replay.
import { and, desc, eq, inArray } from "drizzle-orm";
import { tenant } from "../../db/client";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { clock } from "../../lib/clock";
import { encryptText } from "../../lib/crypto";
import { conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { enqueueDelivery } from "./fanout";
import { checkWebhookUrl, resolveWithDoh } from "./url-guard";

type EndpointRow = typeof webhookEndpoints.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** Endpoints per creator: each event fans out to all of them. */
const MAX_ENDPOINTS = 20;

export function presentEndpoint(r: EndpointRow) {
  return {
    id: r.id,
    url: r.url,
    events: r.events,
    description: r.description,
    enabled: r.enabled,
    disabled_reason: r.disabledReason,
    failing_since: r.failingSince,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** Standard Webhooks secrets: `whsec_` + base64 of 24 random bytes. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

export const urlPolicy = (env: Env) => ({ allowPrivate: config(env).webhooks.allowPrivateUrls, resolve: resolveWithDoh });

async function getRow(env: Env, creatorId: string, id: string): Promise<EndpointRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(webhookEndpoints).where(t.where(webhookEndpoints, eq(webhookEndpoints.id, id))).get();
  if (!row) throw notFound("Webhook");
  return row;
}

export async function createWebhook(env: Env, creatorId: string, body: { url: string; events: string[]; description?: string | null; enabled: boolean }) {
  const url = await checkWebhookUrl(body.url, urlPolicy(env));
  const t = tenant(env.DB, creatorId);
  const existing = await t.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(t.where(webhookEndpoints)).all();
  if (existing.length >= MAX_ENDPOINTS) throw conflict(`A creator can have at most ${MAX_ENDPOINTS} webhook endpoints`);
  const secret = newSecret();
  const now = clock.iso();
  const row = await t.db
    .insert(webhookEndpoints)
    .values({
      id: newId(),
      creatorId,
      url: url.toString(),
      description: body.description ?? null,
      events: [...new Set(body.events)],
      enabled: body.enabled,
      secret: await encryptText(env.ENCRYPTION_KEY, secret),
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  return { ...presentEndpoint(row), secret };
}

export async function listWebhooks(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(webhookEndpoints).where(t.where(webhookEndpoints)).orderBy(webhookEndpoints.createdAt).all();
  return { webhooks: rows.map(presentEndpoint) };
}

export async function getWebhook(env: Env, creatorId: string, id: string) {
  return presentEndpoint(await getRow(env, creatorId, id));
}

export async function updateWebhook(
  env: Env,
  creatorId: string,
  id: string,
  body: { url?: string; events?: string[]; description?: string | null; enabled?: boolean },
) {
  await getRow(env, creatorId, id);
  const url = body.url === undefined ? undefined : (await checkWebhookUrl(body.url, urlPolicy(env))).toString();
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .update(webhookEndpoints)
    .set({
      ...(url !== undefined && { url }),
      ...(body.events && { events: [...new Set(body.events)] }),
      ...(body.description !== undefined && { description: body.description }),
      // Re-enabling starts a fresh failure window.
      ...(body.enabled !== undefined && { enabled: body.enabled, ...(body.enabled && { disabledReason: null, failingSince: null }) }),
      updatedAt: clock.iso(),
    })
    .where(t.where(webhookEndpoints, eq(webhookEndpoints.id, id)))
    .returning()
    .get();
  return presentEndpoint(row!);
}

export async function deleteWebhook(env: Env, creatorId: string, id: string): Promise<void> {
  await getRow(env, creatorId, id);
  const t = tenant(env.DB, creatorId);
  const deliveryIds = t.db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(t.where(webhookDeliveries, eq(webhookDeliveries.endpointId, id)));
  await t.db.batch([
    t.db.delete(webhookAttempts).where(t.where(webhookAttempts, inArray(webhookAttempts.deliveryId, deliveryIds))),
    t.db.delete(webhookDeliveries).where(t.where(webhookDeliveries, eq(webhookDeliveries.endpointId, id))),
    t.db.delete(webhookEndpoints).where(t.where(webhookEndpoints, eq(webhookEndpoints.id, id))),
  ]);
}

/** A new secret at once: deliveries signed from now on use it (the old one stops verifying). */
export async function rotateSecret(env: Env, creatorId: string, id: string) {
  await getRow(env, creatorId, id);
  const secret = newSecret();
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .update(webhookEndpoints)
    .set({ secret: await encryptText(env.ENCRYPTION_KEY, secret), updatedAt: clock.iso() })
    .where(t.where(webhookEndpoints, eq(webhookEndpoints.id, id)))
    .returning()
    .get();
  return { ...presentEndpoint(row!), secret };
}

function presentDelivery(d: DeliveryRow, attempts: (typeof webhookAttempts.$inferSelect)[]) {
  return {
    id: d.id,
    event_id: d.eventId,
    event: d.eventType,
    status: d.status,
    attempts: d.attempts,
    response_code: d.responseCode,
    latency_ms: d.latencyMs,
    error: d.error,
    next_attempt_at: d.nextAttemptAt,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    attempt_log: attempts.map((a) => ({ attempt: a.attempt, status: a.status, response_code: a.responseCode, latency_ms: a.latencyMs, error: a.error, at: a.createdAt })),
  };
}

export async function listDeliveries(env: Env, creatorId: string, id: string, q: { limit: number; status?: DeliveryRow["status"] }) {
  await getRow(env, creatorId, id);
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select()
    .from(webhookDeliveries)
    .where(t.where(webhookDeliveries, eq(webhookDeliveries.endpointId, id), q.status ? eq(webhookDeliveries.status, q.status) : undefined))
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(q.limit)
    .all();
  const attempts = rows.length
    ? await t.db
        .select()
        .from(webhookAttempts)
        .where(t.where(webhookAttempts, inArray(webhookAttempts.deliveryId, rows.map((r) => r.id))))
        .orderBy(webhookAttempts.attempt)
        .all()
    : [];
  return { deliveries: rows.map((d) => presentDelivery(d, attempts.filter((a) => a.deliveryId === d.id))) };
}

/** Sends a delivery again now (whatever its state, except one being sent right now). */
export async function replayDelivery(env: Env, creatorId: string, id: string, deliveryId: string) {
  const endpoint = await getRow(env, creatorId, id);
  const t = tenant(env.DB, creatorId);
  const where = t.where(webhookDeliveries, eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpoint.id));
  const row = await t.db.select().from(webhookDeliveries).where(where).get();
  if (!row) throw notFound("Delivery");
  if (row.status === "delivering") throw conflict("This delivery is being sent right now");
  if (!endpoint.enabled) throw conflict("The endpoint is disabled: enable it first");
  const updated = await t.db
    .update(webhookDeliveries)
    .set({ status: "pending", nextAttemptAt: clock.iso(), error: null, updatedAt: clock.iso() })
    .where(and(where))
    .returning()
    .get();
  await enqueueDelivery(env, creatorId, deliveryId, 0);
  return presentDelivery(updated!, []);
}
