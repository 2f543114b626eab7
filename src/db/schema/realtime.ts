// Tables of the web widget and the realtime module: widget config (public key, look, allowed
// origins), widget sessions (a visitor's resumable chat), and live-socket presence per conversation.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** One per creator, created on first read. widget_key is public (it sits in the embed snippet). */
export const widgetConfigs = sqliteTable(
  "widget_configs",
  {
    creatorId: text("creator_id").primaryKey(),
    widgetKey: text("widget_key").notNull(),
    title: text("title").notNull().default("Chat with us"),
    color: text("color").notNull().default("#2563eb"),
    position: text("position", { enum: ["bottom-right", "bottom-left"] }).notNull().default("bottom-right"),
    welcomeMessage: text("welcome_message").notNull().default("Hi! Ask me anything."),
    launcherText: text("launcher_text").notNull().default("Chat"),
    language: text("language").notNull().default("en"),
    /** Exact origins (scheme://host[:port]) allowed to open sessions; empty = any origin. */
    allowedOrigins: text("allowed_origins", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Bumped when the widget key is rotated: widget tokens carry it, older ones are revoked. */
    tokenEpoch: integer("token_epoch").notNull().default(0),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [uniqueIndex("widget_configs_key_unique").on(t.widgetKey)],
);

/** A visitor's widget session: resumable by (session id, visitor id) after a reload. */
export const widgetSessions = sqliteTable(
  "widget_sessions",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    endUserId: text("end_user_id").notNull(),
    conversationId: text("conversation_id").notNull(),
    visitorId: text("visitor_id").notNull(),
    origin: text("origin"),
    language: text("language"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** Set when the session is ended: its widget tokens are revoked and it is never resumed. */
    endedAt: text("ended_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("widget_sessions_creator_idx").on(t.creatorId), index("widget_sessions_end_user_idx").on(t.endUserId)],
);

/** Live sockets per conversation, written by the conversation's Durable Object (through its outbox). */
export const conversationPresence = sqliteTable(
  "conversation_presence",
  {
    conversationId: text("conversation_id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    userSockets: integer("user_sockets").notNull().default(0),
    agentSockets: integer("agent_sockets").notNull().default(0),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("conversation_presence_creator_idx").on(t.creatorId)],
);
