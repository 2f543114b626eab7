// Tables of the oauth module: provider identities linked to members, and one-time login tickets.
import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** "This Google account is that member": found by (provider, subject), never by email after the first link. */
export const oauthIdentities = sqliteTable(
  "oauth_identities",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    memberId: text("member_id").notNull(),
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    email: text("email").notNull(),
    createdAt: text("created_at").notNull().default(now),
    lastLoginAt: text("last_login_at"),
  },
  (t) => [uniqueIndex("oauth_identities_subject_unique").on(t.provider, t.subject), index("oauth_identities_member_idx").on(t.memberId)],
);

/** The callback's temporary token (spec: login-success-redirect → validate-token): single use, one minute. */
export const oauthTickets = sqliteTable("oauth_tickets", {
  tokenHash: text("token_hash").primaryKey(),
  creatorId: text("creator_id").notNull(),
  memberId: text("member_id").notNull(),
  redirectTo: text("redirect_to").notNull(),
  expiresAt: text("expires_at").notNull(),
  usedAt: text("used_at"),
});
