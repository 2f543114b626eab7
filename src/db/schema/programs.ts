// Coaching programs (versioned flows), enrolments with their step history, badges, and the
// proactive engine (rules, the per-occurrence send ledger, opt-outs).
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export interface FlowNode {
  id: string;
  type: string;
  position?: { x: number; y: number };
  data: Record<string, unknown>;
}
export interface FlowEdge {
  id: string;
  source: string;
  target: string;
  source_handle?: string;
}
export interface FlowDefinition {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export const PROGRAM_STATUSES = ["draft", "published", "archived"] as const;

/** The working copy of a program; frozen copies live in program_versions. */
export const programs = sqliteTable(
  "programs",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** draft: the working copy has unpublished changes (or was never published). */
    status: text("status", { enum: PROGRAM_STATUSES }).notNull().default("draft"),
    /** The newest version number: each publish freezes the working copy as version + 1 (= publishedVersion when status is published). */
    version: integer("version").notNull().default(1),
    publishedVersion: integer("published_version"),
    flowDefinition: text("flow_definition", { mode: "json" }).$type<FlowDefinition>().notNull(),
    settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    publishedAt: text("published_at"),
    archivedAt: text("archived_at"),
  },
  (t) => [index("programs_creator_status_idx").on(t.creatorId, t.status, t.createdAt)],
);

/** A published, immutable version: enrolments run the version they began with. */
export const programVersions = sqliteTable(
  "program_versions",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    programId: text("program_id").notNull(),
    version: integer("version").notNull(),
    flowDefinition: text("flow_definition", { mode: "json" }).$type<FlowDefinition>().notNull(),
    settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    publishedAt: text("published_at").notNull(),
  },
  (t) => [uniqueIndex("program_versions_unique").on(t.programId, t.version)],
);

export const ENROLLMENT_STATUSES = ["active", "paused", "completed", "cancelled"] as const;

export const programEnrollments = sqliteTable(
  "program_enrollments",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    programId: text("program_id").notNull(),
    version: integer("version").notNull(),
    endUserId: text("end_user_id").notNull(),
    status: text("status", { enum: ENROLLMENT_STATUSES }).notNull().default("active"),
    currentNodeId: text("current_node_id").notNull(),
    /** Bumped by every step: the step's idempotency key is (enrolment id, step index). */
    stepIndex: integer("step_index").notNull().default(0),
    /** When the current node is due (null: waiting for the user with no timeout). */
    nextRunAt: text("next_run_at"),
    /** Set while a question waits for the user's reply. */
    awaiting: text("awaiting"),
    /** Lease of the tick that handed the step to the queue (overlapping ticks don't double-dispatch). */
    claimedUntil: text("claimed_until"),
    enrolledAt: text("enrolled_at").notNull(),
    lastProgressAt: text("last_progress_at").notNull(),
    pausedAt: text("paused_at"),
    completedAt: text("completed_at"),
    cancelledAt: text("cancelled_at"),
  },
  (t) => [
    // One running enrolment per user and program, enforced by the database (409 even under races).
    uniqueIndex("program_enrollments_running_unique")
      .on(t.programId, t.endUserId)
      .where(sql`status IN ('active', 'paused')`),
    index("program_enrollments_due_idx").on(t.status, t.nextRunAt),
    index("program_enrollments_program_idx").on(t.creatorId, t.programId, t.status),
    index("program_enrollments_user_idx").on(t.endUserId, t.status),
    index("program_enrollments_stalled_idx").on(t.creatorId, t.awaiting, t.lastProgressAt),
    index("program_enrollments_completed_idx").on(t.creatorId, t.completedAt),
  ],
);

/** The history of an enrolment: one row per executed step, unique per step index (idempotent). */
export const enrollmentSteps = sqliteTable(
  "enrollment_steps",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    enrollmentId: text("enrollment_id").notNull(),
    stepIndex: integer("step_index").notNull(),
    nodeId: text("node_id").notNull(),
    nodeType: text("node_type").notNull(),
    /** executed | answered | timed_out | skipped | failed */
    outcome: text("outcome").notNull(),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("enrollment_steps_unique").on(t.enrollmentId, t.stepIndex)],
);

export const endUserBadges = sqliteTable(
  "end_user_badges",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    endUserId: text("end_user_id").notNull(),
    badgeId: text("badge_id").notNull(),
    badgeName: text("badge_name").notNull(),
    programId: text("program_id"),
    enrollmentId: text("enrollment_id"),
    earnedAt: text("earned_at").notNull(),
  },
  (t) => [
    uniqueIndex("end_user_badges_unique").on(t.endUserId, t.badgeId),
    index("end_user_badges_creator_earned_idx").on(t.creatorId, t.earnedAt),
  ],
);

export interface TriggerConditions {
  type: "inactivity" | "scheduled" | "program_stalled" | "milestone";
  [key: string]: unknown;
}
export interface RuleAction {
  type: "send_message" | "ai_message";
  message_template?: string;
  prompt?: string;
  delay_minutes: number;
  /** WhatsApp outside the 24-hour window: this approved template is sent instead of free text. */
  whatsapp_template?: { name: string; language: string; parameters?: string[] };
}

export const proactiveRules = sqliteTable(
  "proactive_rules",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    triggerType: text("trigger_type").notNull(),
    triggerConditions: text("trigger_conditions", { mode: "json" }).$type<TriggerConditions>().notNull(),
    actions: text("actions", { mode: "json" }).$type<RuleAction[]>().notNull(),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    /** Ticks evaluated this rule up to here (event windows start from it). */
    evaluatedUntil: text("evaluated_until"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("proactive_rules_active_idx").on(t.isActive, t.creatorId)],
);

export const SEND_STATUSES = ["pending", "queued", "sending", "sent", "skipped", "failed"] as const;

/**
 * The ledger of proactive sends: one row per (rule, user, occurrence, action). Its unique key is
 * what makes a rule fire at most once per user per occurrence, whatever the ticks do.
 */
export const proactiveSends = sqliteTable(
  "proactive_sends",
  {
    /** The rowid itself (no separate key index: a broadcast writes many rows in one tick). */
    id: integer("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    ruleId: text("rule_id").notNull(),
    endUserId: text("end_user_id").notNull(),
    occurrenceKey: text("occurrence_key").notNull(),
    actionIndex: integer("action_index").notNull(),
    status: text("status", { enum: SEND_STATUSES }).notNull().default("pending"),
    skipReason: text("skip_reason"),
    /** When the send is due (trigger time + delay, or the end of quiet hours). */
    dueAt: text("due_at").notNull(),
    claimedUntil: text("claimed_until"),
    /** The user's local date when sent (the daily cap counts per local day). */
    localDate: text("local_date"),
    text: text("text"),
    sentAt: text("sent_at"),
    respondedAt: text("responded_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    // (rule, occurrence, user): a tick writes one rule's occurrence for users in id order, so its
    // inserts append to neighbouring pages of this index (user first scattered them over all of it).
    uniqueIndex("proactive_sends_occurrence_unique").on(t.ruleId, t.occurrenceKey, t.endUserId, t.actionIndex),
    index("proactive_sends_due_idx").on(t.status, t.dueAt),
    // Partial: pending rows (most of a broadcast) aren't in these until they are sent.
    index("proactive_sends_user_day_idx").on(t.endUserId, t.localDate, t.status).where(sql`local_date IS NOT NULL`),
    index("proactive_sends_creator_sent_idx").on(t.creatorId, t.sentAt).where(sql`sent_at IS NOT NULL`),
  ],
);

/** End users who asked for no proactive messages (/stop, "stop"). */
export const proactiveOptOuts = sqliteTable("proactive_opt_outs", {
  endUserId: text("end_user_id").primaryKey(),
  creatorId: text("creator_id").notNull(),
  optedOutAt: text("opted_out_at").notNull(),
});
