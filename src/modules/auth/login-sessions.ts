// Sessions (refresh-token families): issue, rotate with reuse detection, revoke; and the per-request check.
import { and, eq, isNull, sql } from "drizzle-orm";
import { getDb } from "../../db/client";
import { creators, members, refreshTokens, revokedTokens, sessions } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { sha256Hex } from "../../lib/crypto";
import { DAY, isoIn, nowIso } from "../../lib/clock";
import { unauthenticated } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { issueAccessToken, ROLE_PERMISSIONS, verifyAccessToken, type AccessClaims, type Role } from "./tokens";

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  expires_in: number;
}

interface Principal {
  memberId: string;
  creatorId: string;
  role: Role;
  subscriptionTier: string;
}

/** Starts a new session (a new refresh-token family) for a member who just proved who they are. */
/**
 * Refreshing slides a session's expiry forward, so without a cap a stolen refresh token kept in use
 * lives for ever: every session ends SESSION_MAX_LIFETIME_DAYS after its sign-in, whatever happens.
 */
function beyondAbsoluteLifetime(env: Env, createdAt: string): boolean {
  // D1's default timestamp is "YYYY-MM-DD HH:MM:SS" (UTC) when the row was written by SQL.
  const started = Date.parse(createdAt.includes("T") ? createdAt : `${createdAt.replace(" ", "T")}Z`);
  return Number.isFinite(started) && Date.now() - started > config(env).jwt.sessionMaxLifetimeDays * DAY;
}

export async function startSession(env: Env, who: Principal): Promise<TokenPair> {
  const db = getDb(env.DB);
  const sessionId = newId();
  const refresh = randomToken();
  const ttl = config(env).jwt.refreshTtlDays * DAY;
  await db.batch([
    db.insert(sessions).values({ id: sessionId, creatorId: who.creatorId, memberId: who.memberId, expiresAt: isoIn(ttl) }),
    db.insert(refreshTokens).values({
      id: newId(),
      creatorId: who.creatorId,
      sessionId,
      tokenHash: await sha256Hex(refresh),
      expiresAt: isoIn(ttl),
    }),
  ]);
  const access = await issueAccessToken(env, { ...who, sessionId });
  return { access_token: access.token, refresh_token: refresh, token_type: "bearer", expires_in: access.expiresIn };
}

export async function revokeSession(env: Env, sessionId: string, reason: string): Promise<void> {
  await getDb(env.DB)
    .update(sessions)
    .set({ revokedAt: nowIso(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

export async function revokeMemberSessions(env: Env, creatorId: string, memberId: string, reason: string): Promise<void> {
  await getDb(env.DB)
    .update(sessions)
    .set({ revokedAt: nowIso(), revokedReason: reason })
    .where(and(eq(sessions.creatorId, creatorId), eq(sessions.memberId, memberId), isNull(sessions.revokedAt)));
}

/**
 * Single use and rotated: a refresh token that comes back after it was used means it was copied,
 * so the whole family (session) is revoked, and the thief and the owner both have to sign in again.
 */
export async function rotateRefreshToken(env: Env, presented: string): Promise<TokenPair> {
  const db = getDb(env.DB);
  const hash = await sha256Hex(presented);
  const row = await db
    .select({
      id: refreshTokens.id,
      usedAt: refreshTokens.usedAt,
      expiresAt: refreshTokens.expiresAt,
      sessionId: sessions.id,
      creatorId: sessions.creatorId,
      revokedAt: sessions.revokedAt,
      sessionCreatedAt: sessions.createdAt,
      memberId: members.id,
      role: members.role,
      memberStatus: members.status,
      tier: creators.subscriptionTier,
      creatorStatus: creators.status,
      creatorActive: creators.isActive,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(members, eq(members.id, sessions.memberId))
    .innerJoin(creators, eq(creators.id, sessions.creatorId))
    .where(eq(refreshTokens.tokenHash, hash))
    .get();
  if (!row) throw unauthenticated("Invalid refresh token");
  if (row.usedAt) {
    await revokeSession(env, row.sessionId, "refresh_token_reuse");
    throw unauthenticated("Refresh token was already used; the session has been revoked");
  }
  const now = nowIso();
  if (row.revokedAt || row.expiresAt <= now) throw unauthenticated("Refresh token expired or revoked");
  if (beyondAbsoluteLifetime(env, row.sessionCreatedAt)) {
    await revokeSession(env, row.sessionId, "absolute_lifetime");
    throw unauthenticated("The session has reached its maximum lifetime; sign in again");
  }
  if (row.memberStatus !== "active" || row.creatorStatus !== "active" || !row.creatorActive) {
    throw unauthenticated("Account is not active");
  }
  // Claim the token atomically: of two concurrent refreshes with one token, only one wins.
  const claimed = await db
    .update(refreshTokens)
    .set({ usedAt: now })
    .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.usedAt)))
    .returning({ id: refreshTokens.id });
  if (claimed.length === 0) {
    await revokeSession(env, row.sessionId, "refresh_token_reuse");
    throw unauthenticated("Refresh token was already used; the session has been revoked");
  }
  const refresh = randomToken();
  const ttl = config(env).jwt.refreshTtlDays * DAY;
  await db.batch([
    db.insert(refreshTokens).values({
      id: newId(),
      creatorId: row.creatorId,
      sessionId: row.sessionId,
      tokenHash: await sha256Hex(refresh),
      expiresAt: isoIn(ttl),
    }),
    db.update(sessions).set({ lastUsedAt: now, expiresAt: isoIn(ttl) }).where(eq(sessions.id, row.sessionId)),
  ]);
  const access = await issueAccessToken(env, {
    memberId: row.memberId,
    creatorId: row.creatorId,
    role: row.role,
    subscriptionTier: row.tier,
    sessionId: row.sessionId,
  });
  return { access_token: access.token, refresh_token: refresh, token_type: "bearer", expires_in: access.expiresIn };
}

/** Finds the session a refresh token belongs to (for logout and revocation), or null. */
export async function sessionOfRefreshToken(env: Env, presented: string) {
  return getDb(env.DB)
    .select({ sessionId: refreshTokens.sessionId, creatorId: refreshTokens.creatorId, memberId: sessions.memberId })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, await sha256Hex(presented)))
    .get();
}

export async function revokeAccessToken(env: Env, claims: Pick<AccessClaims, "jti" | "creator_id" | "exp">): Promise<void> {
  await getDb(env.DB)
    .insert(revokedTokens)
    .values({ jti: claims.jti, creatorId: claims.creator_id, expiresAt: new Date(claims.exp * 1000).toISOString() })
    .onConflictDoNothing();
}

export interface AuthenticatedAccount {
  claims: AccessClaims;
  member: typeof members.$inferSelect;
  creator: typeof creators.$inferSelect;
}

/**
 * Every authenticated request: signature and claims, then one D1 read that checks the session is
 * live, the token not revoked, the member and creator active, and takes the member's current role.
 * The rows it read come back too, so GET /me needs no second query.
 */
export async function authenticateAccount(env: Env, token: string): Promise<AuthenticatedAccount> {
  const claims = await verifyAccessToken(env, token);
  const row = await getDb(env.DB)
    .select({
      revokedAt: sessions.revokedAt,
      sessionCreatedAt: sessions.createdAt,
      jtiRevoked: sql<number>`EXISTS(SELECT 1 FROM revoked_tokens r WHERE r.jti = ${claims.jti})`,
      member: members,
      creator: creators,
    })
    .from(sessions)
    .innerJoin(members, and(eq(members.id, sessions.memberId), eq(members.creatorId, sessions.creatorId)))
    .innerJoin(creators, eq(creators.id, sessions.creatorId))
    .where(and(eq(sessions.id, claims.sid), eq(sessions.creatorId, claims.creator_id), eq(sessions.memberId, claims.sub)))
    .get();
  if (!row || row.revokedAt || row.jtiRevoked) throw unauthenticated("Access token has been revoked");
  if (beyondAbsoluteLifetime(env, row.sessionCreatedAt)) throw unauthenticated("The session has reached its maximum lifetime; sign in again");
  if (row.member.status !== "active" || row.creator.status !== "active" || !row.creator.isActive) {
    throw unauthenticated("Account is not active");
  }
  const role = row.member.role;
  return {
    claims: { ...claims, role, permissions: ROLE_PERMISSIONS[role], subscription_tier: row.creator.subscriptionTier },
    member: row.member,
    creator: row.creator,
  };
}

export async function authenticateAccessToken(env: Env, token: string): Promise<AccessClaims> {
  return (await authenticateAccount(env, token)).claims;
}
