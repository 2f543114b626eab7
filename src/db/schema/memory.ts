// What the assistant remembers about each end user (customer-support "Memory Engine"): per creator,
// per end user, by type and key; short-term entries can expire.
import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const MEMORY_TYPES = ["short_term", "long_term"] as const;

export const endUserMemories = sqliteTable(
  "end_user_memories",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    endUserId: text("end_user_id").notNull(),
    type: text("type", { enum: MEMORY_TYPES }).notNull(),
    key: text("key").notNull(),
    value: text("value", { mode: "json" }).$type<unknown>().notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** Set from `ttl` (seconds): after it the memory is no longer returned, and is swept. */
    expiresAt: text("expires_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    lastAccessedAt: text("last_accessed_at"),
  },
  (t) => [
    uniqueIndex("end_user_memories_key_unique").on(t.creatorId, t.endUserId, t.type, t.key),
    index("end_user_memories_user_idx").on(t.creatorId, t.endUserId),
  ],
);
