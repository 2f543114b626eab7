// Tables of the api-keys module: server-to-server keys, stored only as SHA-256 hashes.
import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** A key acts as the member who created it, limited to its scopes; revoked keys stay for the audit trail. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    createdBy: text("created_by").notNull(),
    name: text("name").notNull(),
    /** The first characters of the key, shown in listings so a key can be recognised. */
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    expiresAt: text("expires_at"),
    revokedAt: text("revoked_at"),
    lastUsedAt: text("last_used_at"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("api_keys_hash_unique").on(t.keyHash), index("api_keys_creator_idx").on(t.creatorId)],
);
