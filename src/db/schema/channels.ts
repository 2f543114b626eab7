// Channel connections (web widget, Telegram bot, WhatsApp number), the inbound events already seen
// (webhook de-duplication) and the map from platform message ids to our messages (delivery statuses).
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const CHANNEL_TYPES = ["web", "telegram", "whatsapp", "email"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const CHANNEL_STATUSES = ["active", "inactive", "error", "pending_verification"] as const;

export const channels = sqliteTable(
  "channels",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    type: text("type", { enum: CHANNEL_TYPES }).notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: CHANNEL_STATUSES }).notNull(),
    /** Why the status is `error` (the platform's own description). */
    statusDetail: text("status_detail"),
    /** Non-secret settings, plus masked hints of the secrets (never the secrets). */
    configuration: text("configuration", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** AES-GCM ciphertext of a JSON object with the channel's secrets (src/lib/crypto.ts). */
    secrets: text("secrets"),
    /** The platform account: Telegram bot id, WhatsApp phone_number_id, the email channel's inbound address. One connection per account. */
    externalAccountId: text("external_account_id"),
    /** SHA-256 of the Telegram secret_token / WhatsApp verify token: finds the channel of a shared webhook. */
    webhookKeyHash: text("webhook_key_hash"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    index("channels_creator_idx").on(t.creatorId, t.createdAt),
    uniqueIndex("channels_account_unique").on(t.type, t.externalAccountId),
    index("channels_webhook_key_idx").on(t.webhookKeyHash),
  ],
);

/** Every inbound platform event we processed: the key is the update_id / message id / status id.
 * processed_at is set once its work is done, so later redeliveries are acknowledged without work. */
export const channelEvents = sqliteTable(
  "channel_events",
  {
    channelId: text("channel_id").notNull(),
    eventKey: text("event_key").notNull(),
    creatorId: text("creator_id").notNull(),
    kind: text("kind").notNull(),
    /** The end user's platform id (end_users.external_id): ties the event to them for GDPR erasure/export. */
    externalUserId: text("external_user_id"),
    /** What an event that is recorded rather than answered said (an edit, a status). */
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    receivedAt: text("received_at").notNull().default(now),
    processedAt: text("processed_at"),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.eventKey] }), index("channel_events_creator_idx").on(t.creatorId, t.receivedAt)],
);

/** Platform message id → our stored outbound message, so delivery/read statuses find it. */
export const channelMessageRefs = sqliteTable(
  "channel_message_refs",
  {
    channelId: text("channel_id").notNull(),
    externalMessageId: text("external_message_id").notNull(),
    creatorId: text("creator_id").notNull(),
    messageId: text("message_id").notNull(),
    part: integer("part").notNull().default(0),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.externalMessageId] }), index("channel_message_refs_creator_idx").on(t.creatorId)],
);

/**
 * Every mail of an email channel, both ways: inbound mails (answered, or ignored as noise with the
 * reason) and our replies (the MIME we built and whether it was logged or sent). Threading reads it:
 * a mail whose In-Reply-To / References names one of these Message-IDs joins that conversation.
 * With MAIL_PROVIDER=log it is also the local outbox developers and tests read.
 */
export const emailMessages = sqliteTable(
  "email_messages",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    channelId: text("channel_id").notNull(),
    /** Null for an ignored inbound mail that matched no conversation. */
    conversationId: text("conversation_id"),
    /** Our message (messages.id) this mail carried. */
    messageId: text("message_id"),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    /** The RFC 5322 Message-ID without angle brackets (ours: <uuid>@EMAIL_INBOUND_DOMAIN). */
    rfcMessageId: text("rfc_message_id").notNull(),
    inReplyTo: text("in_reply_to"),
    references: text("references", { mode: "json" }).$type<string[]>().notNull().default([]),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull().default(""),
    /** in: received | ignored; out: logged (MAIL_PROVIDER=log) | sent | failed. */
    status: text("status").notNull(),
    /** Why an inbound mail was not answered: auto_reply, bulk, bounce, own_message. */
    ignoredReason: text("ignored_reason"),
    /** Outbound: the complete MIME message as built (what send_email got, or would have). */
    raw: text("raw"),
    /** Inbound: the files stored from its attachments ({file_id, filename, content_type, size}). */
    attachments: text("attachments", { mode: "json" }).$type<Record<string, unknown>[]>().notNull().default([]),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("email_messages_rfc_unique").on(t.channelId, t.rfcMessageId),
    index("email_messages_conversation_idx").on(t.conversationId, t.createdAt),
    index("email_messages_creator_idx").on(t.creatorId, t.createdAt),
  ],
);
