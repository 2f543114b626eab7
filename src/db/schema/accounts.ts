// Tables of the auth and creators modules: tenants (creators), their members, sessions and keys.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** The tenant. Every other creator-owned row carries its id as creator_id. */
export const creators = sqliteTable("creators", {
  id: text("id").primaryKey(),
  email: text("email").notNull(),
  fullName: text("full_name").notNull(),
  companyName: text("company_name"),
  subscriptionTier: text("subscription_tier", { enum: ["free", "pro", "enterprise"] }).notNull().default("free"),
  /** The operator's per-creator overrides of the tier's limits (PUT /api/v1/operator/creators/{id}/plan); the source of truth the UsageMeter caches. */
  planOverrides: text("plan_overrides", { mode: "json" }).$type<Record<string, unknown>>(),
  isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
  /** "deleting" from the moment a GDPR deletion is requested: no login, no tokens. */
  status: text("status", { enum: ["active", "deleting"] }).notNull().default("active"),
  timezone: text("timezone").notNull().default("UTC"),
  bio: text("bio"),
  websiteUrl: text("website_url"),
  avatarUrl: text("avatar_url"),
  settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
  createdAt: text("created_at").notNull().default(now),
  updatedAt: text("updated_at").notNull().default(now),
});

/** A login identity inside one creator's workspace: the owner, admins and agents. */
export const members = sqliteTable(
  "members",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull().references(() => creators.id, { onDelete: "cascade" }),
    /** Lower-cased; unique across the platform so login by email finds one identity. */
    email: text("email").notNull(),
    fullName: text("full_name").notNull(),
    role: text("role", { enum: ["owner", "admin", "agent"] }).notNull(),
    status: text("status", { enum: ["invited", "active", "disabled"] }).notNull(),
    passwordHash: text("password_hash"),
    lastLoginAt: text("last_login_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [uniqueIndex("members_email_unique").on(t.email), index("members_creator_idx").on(t.creatorId)],
);

/** A login session = one refresh-token family. Access tokens carry its id as `sid`. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    memberId: text("member_id").notNull(),
    createdAt: text("created_at").notNull().default(now),
    lastUsedAt: text("last_used_at"),
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("sessions_member_idx").on(t.memberId), index("sessions_creator_idx").on(t.creatorId)],
);

/** Opaque refresh tokens, stored as SHA-256 hashes; single use. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    sessionId: text("session_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("refresh_tokens_hash_unique").on(t.tokenHash), index("refresh_tokens_session_idx").on(t.sessionId)],
);

/** Access tokens revoked before expiry (by jti); rows are useless after expires_at. */
export const revokedTokens = sqliteTable("revoked_tokens", {
  jti: text("jti").primaryKey(),
  creatorId: text("creator_id").notNull(),
  expiresAt: text("expires_at").notNull(),
});

/** Platform signing keys (not tenant data). Private JWKs are encrypted at rest. */
export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwk: text("public_jwk", { mode: "json" }).$type<JsonWebKey>().notNull(),
  privateJwkEnc: text("private_jwk_enc").notNull(),
  status: text("status", { enum: ["active", "retired"] }).notNull(),
  createdAt: text("created_at").notNull().default(now),
  retiredAt: text("retired_at"),
  /** After this instant no token signed by the key can still be valid: drop it from the JWKS. */
  publishUntil: text("publish_until"),
});

/** Single-use secrets sent by mail: password resets and team invitations (hashed). */
export const oneTimeTokens = sqliteTable(
  "one_time_tokens",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    memberId: text("member_id").notNull(),
    purpose: text("purpose", { enum: ["password_reset", "invitation"] }).notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("one_time_tokens_hash_unique").on(t.tokenHash), index("one_time_tokens_member_idx").on(t.memberId)],
);

/** GDPR deletion requests. Kept after erasure as the audit record: ids and counts only, no personal data. */
export const gdprRequests = sqliteTable(
  "gdpr_requests",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    kind: text("kind", { enum: ["deletion"] }).notNull(),
    status: text("status", { enum: ["pending", "completed"] }).notNull(),
    requestedAt: text("requested_at").notNull().default(now),
    completedAt: text("completed_at"),
    summary: text("summary", { mode: "json" }).$type<Record<string, number>>(),
  },
  (t) => [
    index("gdpr_requests_creator_idx").on(t.creatorId),
    // At most one pending deletion per creator, even when two requests race.
    uniqueIndex("gdpr_requests_one_pending").on(t.creatorId).where(sql`status = 'pending'`),
  ],
);
