// Tables of the tasks module: background analyses and research reports run by Cloudflare Workflows.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** One row per task: the workflow instance has the same id; its steps write state and progress here. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    createdBy: text("created_by").notNull(),
    kind: text("kind", { enum: ["analyze", "research"] }).notNull(),
    input: text("input", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    state: text("state", { enum: ["queued", "running", "completed", "failed", "cancelled"] }).notNull().default("queued"),
    step: text("step"),
    progress: integer("progress").notNull().default(0),
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    error: text("error"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    completedAt: text("completed_at"),
  },
  (t) => [index("tasks_creator_idx").on(t.creatorId, t.createdAt)],
);
