// Messages on the JOBS queue. Each module adds its own kinds here and a handler in src/jobs/consumer.ts.
import type { InboundEvent } from "../modules/channels/platform";

export type JobMessage =
  | { type: "gdpr.delete"; creatorId: string; requestId: string }
  /** A verified Telegram/WhatsApp webhook event (redeliveries included: the consumer de-duplicates by eventKey). */
  | { type: "channel.inbound"; creatorId: string; channelId: string; eventKey: string; event: InboundEvent }
  /** Deliver one stored outbound message (all its parts) through its channel. */
  | { type: "channel.send"; creatorId: string; messageId: string };
