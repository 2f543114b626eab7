// Outgoing webhooks: the creator's endpoints (secret sealed at rest), one delivery per (endpoint,
// event), and every attempt of it (the delivery log).
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** AES-GCM ciphertext of the `whsec_…` signing secret (shown once in plain text). */
    secret: text("secret").notNull(),
    /** First failure of the current run of failures; cleared by a success. */
    failingSince: text("failing_since"),
    disabledReason: text("disabled_reason"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("webhook_endpoints_creator_idx").on(t.creatorId, t.enabled)],
);

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    /** The activity event's id: the Standard Webhooks `webhook-id` of every attempt. */
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The exact JSON body signed and sent. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "delivering", "succeeded", "retrying", "failed", "skipped"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    responseCode: integer("response_code"),
    latencyMs: integer("latency_ms"),
    error: text("error"),
    /** While `delivering`: the attempt's lease (a crashed attempt frees its slot after it). */
    leaseUntil: text("lease_until"),
    nextAttemptAt: text("next_attempt_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_unique").on(t.endpointId, t.eventId),
    index("webhook_deliveries_endpoint_created_idx").on(t.endpointId, t.createdAt),
    index("webhook_deliveries_endpoint_status_idx").on(t.endpointId, t.status),
  ],
);

export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    creatorId: text("creator_id").notNull(),
    deliveryId: text("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    status: text("status", { enum: ["succeeded", "failed"] }).notNull(),
    responseCode: integer("response_code"),
    latencyMs: integer("latency_ms").notNull(),
    error: text("error"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);
