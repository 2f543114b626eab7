// API keys: create (the secret is shown once, only its hash is kept), list, revoke, and the per-request check.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { getDb, tenant } from "../../db/client";
import { apiKeys, creators, members } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { sha256Hex } from "../../lib/crypto";
import { conflict, invalid, notFound, unauthenticated } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { nowIso } from "../../lib/clock";
import type { AccessClaims } from "../auth";
import type { AuthenticatedAccount } from "../auth";
import { keyPermissions } from "./scopes";
import type { ApiKeyView, CreateApiKeyInput } from "./schemas";

/** `ek_` marks our keys (secret scanners and people recognise them); 32 random bytes follow. */
const KEY_PATTERN = /^ek_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 11;
/** Keys per workspace: generous for integrations, small enough that a listing is one page. */
export const MAX_ACTIVE_KEYS = 50;
/** "Last used" is informative: written at most once a minute per key, never on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function view(row: typeof apiKeys.$inferSelect): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    created_at: row.createdAt,
    created_by: row.createdBy,
    expires_at: row.expiresAt,
    last_used_at: row.lastUsedAt,
    revoked_at: row.revokedAt,
  };
}

export async function createApiKey(env: Env, claims: AccessClaims, input: CreateApiKeyInput): Promise<ApiKeyView & { key: string }> {
  if (input.expires_at && Date.parse(input.expires_at) <= Date.now()) {
    throw invalid([{ field: "expires_at", message: "must be in the future" }]);
  }
  const t = tenant(env.DB, claims.creator_id);
  const { active } = (await t.db
    .select({ active: sql<number>`count(*)` })
    .from(apiKeys)
    .where(t.where(apiKeys, isNull(apiKeys.revokedAt)))
    .get())!;
  if (active >= MAX_ACTIVE_KEYS) throw conflict(`A workspace can hold ${MAX_ACTIVE_KEYS} active keys; revoke one first`);
  const key = `ek_${randomToken(32)}`;
  const [row] = await t.db
    .insert(apiKeys)
    .values({
      id: newId(),
      creatorId: claims.creator_id,
      createdBy: claims.sub,
      name: input.name,
      prefix: key.slice(0, PREFIX_LENGTH),
      keyHash: await sha256Hex(key),
      scopes: [...new Set(input.scopes)],
      expiresAt: input.expires_at ? new Date(input.expires_at).toISOString() : null,
    })
    .returning();
  return { ...view(row!), key };
}

export async function listApiKeys(env: Env, creatorId: string): Promise<{ api_keys: ApiKeyView[]; total: number }> {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(apiKeys).where(t.where(apiKeys)).orderBy(desc(apiKeys.createdAt));
  return { api_keys: rows.map(view), total: rows.length };
}

/** Revocation is immediate: every request re-reads the key's row. Revoking twice is harmless. */
export async function revokeApiKey(env: Env, creatorId: string, id: string): Promise<void> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select({ id: apiKeys.id }).from(apiKeys).where(t.where(apiKeys, eq(apiKeys.id, id))).get();
  if (!row) throw notFound("API key");
  await t.db.update(apiKeys).set({ revokedAt: nowIso() }).where(t.where(apiKeys, eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
}

export interface ApiKeyAccount extends AuthenticatedAccount {
  apiKeyId: string;
  /** True when the stored "last used" is older than its resolution: the caller writes it off the request path. */
  touch: boolean;
}

/**
 * `X-API-Key`: one D1 read (key, member, creator), like a bearer token's. The key acts as the member
 * who created it, with the permissions of its scopes for this path; the member's removal, the
 * creator's deletion, revocation and expiry all end it at once.
 */
export async function authenticateApiKey(env: Env, key: string, path: string): Promise<ApiKeyAccount> {
  if (!KEY_PATTERN.test(key)) throw unauthenticated("Invalid API key");
  const row = await getDb(env.DB)
    .select({ key: apiKeys, member: members, creator: creators })
    .from(apiKeys)
    .innerJoin(members, and(eq(members.id, apiKeys.createdBy), eq(members.creatorId, apiKeys.creatorId)))
    .innerJoin(creators, eq(creators.id, apiKeys.creatorId))
    .where(eq(apiKeys.keyHash, await sha256Hex(key)))
    .get();
  if (!row) throw unauthenticated("Invalid API key");
  if (row.key.revokedAt) throw unauthenticated("API key has been revoked");
  if (row.key.expiresAt && row.key.expiresAt <= nowIso()) throw unauthenticated("API key expired");
  if (row.member.status !== "active" || row.creator.status !== "active" || !row.creator.isActive) {
    throw unauthenticated("Account is not active");
  }
  const jwt = config(env).jwt;
  const nowSec = Math.floor(Date.now() / 1000);
  const claims: AccessClaims = {
    sub: row.member.id,
    creator_id: row.creator.id,
    tenant_id: row.creator.id,
    permissions: keyPermissions(row.key.scopes, path),
    subscription_tier: row.creator.subscriptionTier,
    role: row.member.role,
    sid: `apikey:${row.key.id}`,
    jti: `apikey:${row.key.id}`,
    token_use: "access",
    aud: jwt.audience,
    iss: jwt.issuer,
    exp: row.key.expiresAt ? Math.floor(Date.parse(row.key.expiresAt) / 1000) : nowSec + 3600,
    iat: nowSec,
  };
  const touch = !row.key.lastUsedAt || Date.now() - Date.parse(row.key.lastUsedAt) >= LAST_USED_RESOLUTION_MS;
  return { claims, member: row.member, creator: row.creator, apiKeyId: row.key.id, touch };
}

export async function recordApiKeyUse(env: Env, id: string): Promise<void> {
  await getDb(env.DB).update(apiKeys).set({ lastUsedAt: nowIso() }).where(eq(apiKeys.id, id));
}
