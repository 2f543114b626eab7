// Messages on the JOBS queue. Each module adds its own kinds here and a handler in src/jobs/consumer.ts.
import type { InboundEvent } from "../modules/channels/platform";
import type { IngestJob } from "../modules/knowledge/ingest";

export type JobMessage =
  | { type: "gdpr.delete"; creatorId: string; requestId: string }
  /** Parse, chunk, embed and index one uploaded document. */
  | IngestJob
  /** A verified Telegram/WhatsApp webhook event (redeliveries included: the consumer de-duplicates by eventKey). */
  | { type: "channel.inbound"; creatorId: string; channelId: string; eventKey: string; event: InboundEvent }
  /** Deliver one stored outbound message (all its parts) through its channel. */
  | { type: "channel.send"; creatorId: string; messageId: string }
  /** Ask a resolved Telegram/WhatsApp conversation's visitor for a rating (once per resolution event). */
  | { type: "channel.rating_prompt"; creatorId: string; conversationId: string; eventId: string }
  /** Run an enrolment from the step the tick saw (a job for a step already done is a no-op). */
  | { type: "program.step"; creatorId: string; enrollmentId: string; stepIndex: number }
  /** Deliver a chunk of claimed proactive sends (each is idempotent on its own). */
  | { type: "proactive.send"; sendIds: number[] }
  /** Send one outgoing webhook delivery (src/modules/webhooks/deliver.ts; retries are new messages). */
  | { type: "webhook.deliver"; creatorId: string; deliveryId: string }
  /** Build one analytics export into R2 (src/modules/analytics/exports.ts; a finished one is a no-op). */
  | { type: "analytics.export"; creatorId: string; exportId: string };
