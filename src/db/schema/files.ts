// Files in conversations (issue 14): the bytes live in R2 under the conversation's prefix
// (creators/{creatorId}/conversations/{conversationId}/files/{fileId}); this row is what the API lists.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const FILE_SOURCES = ["upload", "widget", "telegram", "whatsapp", "email", "agent", "api"] as const;
export type FileSource = (typeof FILE_SOURCES)[number];

export const conversationFiles = sqliteTable(
  "conversation_files",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    conversationId: text("conversation_id").notNull(),
    /** The conversation's end user when they sent it (widget, Telegram, WhatsApp, email); null for members' files. */
    endUserId: text("end_user_id"),
    /** The safe display name (no path, no control characters). */
    name: text("name").notNull(),
    /** Decided from the bytes (magic numbers), not from what the client declared. */
    contentType: text("content_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    r2Key: text("r2_key").notNull(),
    source: text("source", { enum: FILE_SOURCES }).notNull(),
    /** The member who uploaded it (null: the end user or a channel). */
    uploadedBy: text("uploaded_by"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("conversation_files_conversation_idx").on(t.creatorId, t.conversationId, t.createdAt)],
);
