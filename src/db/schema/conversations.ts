// End users (the creator's audience), conversations and the D1 mirror of their messages.
// Shared by the realtime module (Durable Object + outbox), channels and the AI REST API.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const CHANNELS = ["widget", "telegram", "whatsapp", "api", "email"] as const;
export type ChannelKind = (typeof CHANNELS)[number];

/** A person in the creator's audience, one per (channel, external id): widget visitor, Telegram chat, phone. */
export const endUsers = sqliteTable(
  "end_users",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    /** Widget visitor id, Telegram user id, WhatsApp phone (E.164), or API caller reference. */
    externalId: text("external_id").notNull(),
    displayName: text("display_name"),
    language: text("language"),
    timezone: text("timezone"),
    profile: text("profile", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** unreachable: the channel told us we can't write to them (bot blocked, kicked). */
    status: text("status", { enum: ["active", "unreachable", "blocked"] }).notNull().default("active"),
    createdAt: text("created_at").notNull().default(now),
    lastActiveAt: text("last_active_at"),
  },
  (t) => [
    uniqueIndex("end_users_identity_unique").on(t.creatorId, t.channel, t.externalId),
    index("end_users_creator_active_idx").on(t.creatorId, t.lastActiveAt),
    // Scheduled proactive rules evaluate one local time per timezone, walking its users in id order
    // (programs/proactive engine).
    index("end_users_creator_timezone_idx").on(t.creatorId, t.timezone, t.id),
  ],
);

export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    endUserId: text("end_user_id"),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    /** The channel connection (Telegram bot, WhatsApp number) when not the widget. */
    channelId: text("channel_id"),
    status: text("status", { enum: ["active", "waiting_human", "completed", "archived"] }).notNull().default("active"),
    assignedMemberId: text("assigned_member_id"),
    knowledgeBaseId: text("knowledge_base_id"),
    /** What the AI carries between turns; "reset" clears it and keeps the record. */
    context: text("context", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    lastSeq: integer("last_seq").notNull().default(0),
    lastMessageAt: text("last_message_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    index("conversations_creator_status_idx").on(t.creatorId, t.status, t.lastMessageAt),
    index("conversations_end_user_idx").on(t.endUserId),
    // The cron's idle sweep looks across creators: active conversations oldest last message first.
    index("conversations_status_last_message_idx").on(t.status, t.lastMessageAt),
  ],
);

/** D1 mirror of every message (the Durable Object's log is the source of truth for live chats). */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    conversationId: text("conversation_id").notNull(),
    seq: integer("seq").notNull(),
    sender: text("sender", { enum: ["user", "ai", "agent", "system"] }).notNull(),
    /** Member id for agent messages. */
    senderId: text("sender_id"),
    senderName: text("sender_name"),
    text: text("text").notNull(),
    sources: text("sources", { mode: "json" }).$type<unknown[]>(),
    /** The sender's own id for the message: resending it never stores it twice. */
    clientMessageId: text("client_message_id"),
    /** Outbound messages on external channels: queued | sent | delivered | read | failed. */
    deliveryStatus: text("delivery_status"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("messages_conversation_seq_unique").on(t.conversationId, t.seq),
    uniqueIndex("messages_conversation_client_unique").on(t.conversationId, t.clientMessageId),
    index("messages_creator_created_idx").on(t.creatorId, t.createdAt),
  ],
);
