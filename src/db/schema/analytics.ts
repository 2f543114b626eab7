// Analytics rollups (counters per creator, hour/day and channel, written in the MirrorWriter's D1
// batch as messages are mirrored, and when end users are created) and the small per-conversation facts they need (handover time,
// user message count) so no request ever scans the message mirror.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** Every rollup counter, as columns (fresh builders per table: the channel and the segment rollups share them). */
const counters = () => ({
  userMessages: integer("user_messages").notNull().default(0),
  aiMessages: integer("ai_messages").notNull().default(0),
  agentMessages: integer("agent_messages").notNull().default(0),
  /** AI answers given without any knowledge source (the fallback answer). */
  unanswered: integer("unanswered").notNull().default(0),
  conversations: integer("conversations").notNull().default(0),
  /** End users created in the bucket (widget visitor's first session, first channel contact). */
  newUsers: integer("new_users").notNull().default(0),
  /** Conversations whose second user message falls in the bucket (the visitor came back). */
  engagedConversations: integer("engaged_conversations").notNull().default(0),
  handovers: integer("handovers").notNull().default(0),
  resolved: integer("resolved").notNull().default(0),
  /** Resolved without any agent message. */
  aiResolved: integer("ai_resolved").notNull().default(0),
  resolutionSeconds: real("resolution_seconds").notNull().default(0),
  /** A user message answered by the next message (AI or agent). */
  responseCount: integer("response_count").notNull().default(0),
  responseSeconds: real("response_seconds").notNull().default(0),
  /** First agent message after a handover. */
  humanReplyCount: integer("human_reply_count").notNull().default(0),
  humanReplySeconds: real("human_reply_seconds").notNull().default(0),
  ratingCount: integer("rating_count").notNull().default(0),
  ratingSum: integer("rating_sum").notNull().default(0),
});

/** One row per (creator, granularity h|d, bucket 'YYYY-MM-DDTHH' | 'YYYY-MM-DD', channel): every counter a column. */
export const analyticsRollups = sqliteTable(
  "analytics_rollups",
  {
    creatorId: text("creator_id").notNull(),
    granularity: text("granularity", { enum: ["h", "d"] }).notNull(),
    bucket: text("bucket").notNull(),
    channel: text("channel").notNull(),
    ...counters(),
  },
  (t) => [primaryKey({ columns: [t.creatorId, t.granularity, t.bucket, t.channel] })],
);

/**
 * The same counters per segment of the audience (GET /api/v1/analytics/detailed?segment=program|user_type),
 * written beside analytics_rollups in the same statements: `dimension` program → `segment` is the
 * program the conversation's end user runs (active or paused enrolment, newest first) or `none`;
 * `user_type` → `new` (the end user's first conversation) or `returning`.
 */
export const analyticsSegmentRollups = sqliteTable(
  "analytics_segment_rollups",
  {
    creatorId: text("creator_id").notNull(),
    granularity: text("granularity", { enum: ["h", "d"] }).notNull(),
    dimension: text("dimension", { enum: ["program", "user_type"] }).notNull(),
    bucket: text("bucket").notNull(),
    segment: text("segment").notNull(),
    ...counters(),
  },
  (t) => [primaryKey({ columns: [t.creatorId, t.granularity, t.dimension, t.bucket, t.segment] })],
);

/** AI answers per day and cited document ("top topics"): what the audience asks about most. */
export const analyticsTopics = sqliteTable(
  "analytics_topics",
  {
    creatorId: text("creator_id").notNull(),
    day: text("day").notNull(),
    topic: text("topic").notNull(),
    answers: integer("answers").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.creatorId, t.day, t.topic] })],
);

/** Distinct users who wrote on a day, as a HyperLogLog sketch (src/modules/analytics/hll.ts). */
export const analyticsActiveUsers = sqliteTable(
  "analytics_active_users",
  {
    creatorId: text("creator_id").notNull(),
    day: text("day").notNull(),
    /** 1024 registers, two hex characters each. */
    registers: text("registers").notNull(),
  },
  (t) => [primaryKey({ columns: [t.creatorId, t.day] })],
);

/** Per-conversation facts the rollups need across flushes. */
export const conversationAnalytics = sqliteTable("conversation_analytics", {
  conversationId: text("conversation_id").primaryKey(),
  creatorId: text("creator_id").notNull(),
  userMessages: integer("user_messages").notNull().default(0),
  /** When the conversation last went to waiting_human (as seen by the mirror flush). */
  handoverAt: text("handover_at"),
  /** 1 between a handover and the first agent message after it. */
  awaitingHuman: integer("awaiting_human").notNull().default(0),
  updatedAt: text("updated_at").notNull().default(now),
});

/**
 * The creator's activity stream: one row per event (message received, escalation, resolution, user
 * created …), written in the same transaction as what it reports (the mirror batch) and then handed
 * to outgoing webhooks and the live inbox. `seq` orders a creator's events (inbox resume).
 */
export const activityEvents = sqliteTable(
  "activity_events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** Stable per event: the webhook-id of every delivery of it. */
    id: text("id").notNull(),
    creatorId: text("creator_id").notNull(),
    type: text("type").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull().default(now),
    /** 0 until handed to webhooks and the inbox. */
    dispatched: integer("dispatched").notNull().default(0),
    /** A dispatcher took it at this time; a claim older than a minute is taken again (at least once). */
    claimedAt: text("claimed_at"),
  },
  (t) => [uniqueIndex("activity_events_id_unique").on(t.id), index("activity_events_pending_idx").on(t.dispatched, t.creatorId, t.seq), index("activity_events_creator_seq_idx").on(t.creatorId, t.seq)],
);

/** One satisfaction rating per conversation (1–5), from the visitor (widget, Telegram, WhatsApp) or a member. */
export const conversationRatings = sqliteTable("conversation_ratings", {
  conversationId: text("conversation_id").primaryKey(),
  creatorId: text("creator_id").notNull(),
  channel: text("channel").notNull(),
  score: integer("score").notNull(),
  comment: text("comment"),
  source: text("source", { enum: ["visitor", "member"] }).notNull(),
  memberId: text("member_id"),
  createdAt: text("created_at").notNull(),
});

/** Analytics exports (POST /api/v1/analytics/export): built on the JOBS queue into R2 under the creator prefix. */
export const analyticsExports = sqliteTable(
  "analytics_exports",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    memberId: text("member_id").notNull(),
    format: text("format", { enum: ["csv", "json"] }).notNull(),
    metrics: text("metrics", { mode: "json" }).$type<string[]>().notNull(),
    period: text("period").notNull(),
    delivery: text("delivery", { enum: ["download", "email"] }).notNull(),
    status: text("status", { enum: ["queued", "processing", "completed", "failed"] }).notNull(),
    r2Key: text("r2_key"),
    sizeBytes: integer("size_bytes"),
    error: text("error"),
    createdAt: text("created_at").notNull().default(now),
    completedAt: text("completed_at"),
  },
  (t) => [index("analytics_exports_creator_created").on(t.creatorId, t.createdAt)],
);

/**
 * Questions the assistant could not answer (the knowledge-gap loop): the question of a fallback answer,
 * of a handover, of a low rating. Per creator, bounded (newest kept), erased with the end user; the
 * embedding is filled on the first knowledge-gaps read that needs it.
 */
export const unansweredQuestions = sqliteTable(
  "unanswered_questions",
  {
    /** `<conversation>:<seq>:<reason>`: a retried flush or rating records nothing twice. */
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    conversationId: text("conversation_id").notNull(),
    endUserId: text("end_user_id"),
    channel: text("channel").notNull(),
    question: text("question").notNull(),
    reason: text("reason", { enum: ["fallback", "handover", "low_rating"] }).notNull(),
    embedding: text("embedding"),
    embeddingModel: text("embedding_model"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("unanswered_questions_creator_created").on(t.creatorId, t.createdAt), index("unanswered_questions_end_user").on(t.endUserId)],
);
