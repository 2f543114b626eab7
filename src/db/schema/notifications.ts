// In-app notifications: one row per member it concerns (read state is per member).
import { sql } from "drizzle-orm";
import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const NOTIFICATION_KINDS = ["handover", "document_failed", "export_ready", "quota_near", "quota_reached", "webhook_disabled", "low_rating", "task_completed"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    memberId: text("member_id").notNull(),
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    readAt: text("read_at"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("notifications_member_created_idx").on(t.creatorId, t.memberId, t.createdAt), index("notifications_member_unread_idx").on(t.memberId, t.readAt)],
);
