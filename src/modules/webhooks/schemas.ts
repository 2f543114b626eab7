// Zod schemas of outgoing webhooks: endpoints, their deliveries and attempts.
import { z } from "@hono/zod-openapi";
import { UuidParam } from "../../lib/schemas";

/** creator-hub-api.md "Webhook Events", plus conversation.resolved and rating.received (issue 8). */
export const WEBHOOK_EVENTS = [
  "user.created",
  "user.updated",
  "program.enrolled",
  "program.completed",
  "message.received",
  "escalation.created",
  "conversation.resolved",
  "rating.received",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const Events = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length);
const Url = z.string().min(1).max(2048);
const Description = z.string().max(500).nullable();

export const CreateWebhookBody = z
  .object({ url: Url, events: Events, description: Description.optional(), enabled: z.boolean().default(true) })
  .strict()
  .openapi("CreateWebhook");

export const UpdateWebhookBody = z
  .object({ url: Url.optional(), events: Events.optional(), description: Description.optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Give at least one field to change" })
  .openapi("UpdateWebhook");

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    failing_since: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

export const WebhookWithSecretSchema = WebhookSchema.extend({ secret: z.string().openapi({ description: "Shown once: the Standard Webhooks signing secret (whsec_…)" }) }).openapi(
  "WebhookWithSecret",
);

export const WebhookListSchema = z.object({ webhooks: z.array(WebhookSchema) });

export const WebhookParams = z.object({ webhook_id: UuidParam("webhook_id") });
export const DeliveryParams = z.object({ webhook_id: UuidParam("webhook_id"), delivery_id: UuidParam("delivery_id") });

export const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  status: z.enum(["pending", "delivering", "succeeded", "retrying", "failed", "skipped"]).optional(),
});

export const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event: z.string(),
    status: z.string(),
    attempts: z.number(),
    response_code: z.number().nullable(),
    latency_ms: z.number().nullable(),
    error: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    attempt_log: z.array(
      z.object({ attempt: z.number(), status: z.string(), response_code: z.number().nullable(), latency_ms: z.number(), error: z.string().nullable(), at: z.string() }),
    ),
  })
  .openapi("WebhookDelivery");

export const DeliveryListSchema = z.object({ deliveries: z.array(DeliverySchema) });
