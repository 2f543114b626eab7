// Creator accounts: register, login, me, logout, revocation, password reset, invitation acceptance.
import { and, eq, gt, isNull } from "drizzle-orm";
import { getDb } from "../../db/client";
import { creators, members, oneTimeTokens } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { sha256Hex } from "../../lib/crypto";
import { MINUTE, isoIn, nowIso } from "../../lib/clock";
import { AppError, conflict, invalid, notFound, unauthenticated } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { log } from "../../lib/logging";
import { mailSender } from "../../lib/mail";
import { closeMemberSockets } from "../../realtime";
import { assertNotLocked, clearLoginFailures, mayMailReset, recordLoginFailure } from "./abuse";
import { checkPassword, hashPassword, verifyPassword } from "./passwords";
import { presentMe } from "./presenters";
import { assertRegistrationAllowed } from "../oauth/allowlist";
import {
  revokeAccessToken,
  revokeMemberSessions,
  revokeSession,
  sessionOfRefreshToken,
  startSession,
  type TokenPair,
} from "./login-sessions";
import { verifyAccessToken, type AccessClaims } from "./tokens";

const RESET_TTL = 30 * MINUTE;

function assertStrongPassword(password: string, ctx: { email?: string; name?: string }, field = "password") {
  const report = checkPassword(password, ctx);
  if (!report.valid) throw invalid(report.reasons.map((message) => ({ field, message })), "Password is too weak");
}

function isUniqueViolation(err: unknown): boolean {
  const text = String((err as { cause?: unknown })?.cause ?? "") + String((err as Error)?.message ?? "");
  return /UNIQUE constraint failed/i.test(text);
}

export interface RegisterInput {
  email: string;
  password: string;
  full_name: string;
  company_name?: string;
  timezone?: string;
}

export async function register(env: Env, input: RegisterInput) {
  assertRegistrationAllowed(env, input.email);
  assertStrongPassword(input.password, { email: input.email, name: input.full_name });
  const db = getDb(env.DB);
  const existing = await db.select({ id: members.id }).from(members).where(eq(members.email, input.email)).get();
  if (existing) throw conflict("An account with this email already exists");
  const creatorId = newId();
  const passwordHash = await hashPassword(input.password);
  try {
    await db.batch([
      db.insert(creators).values({
        id: creatorId,
        email: input.email,
        fullName: input.full_name,
        companyName: input.company_name ?? null,
        timezone: input.timezone ?? "UTC",
      }),
      // The owner's member id is the creator id, so an owner's token has sub = creator_id (spec).
      db.insert(members).values({
        id: creatorId,
        creatorId,
        email: input.email,
        fullName: input.full_name,
        role: "owner",
        status: "active",
        passwordHash,
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("An account with this email already exists");
    throw err;
  }
  const tokens = await startSession(env, { memberId: creatorId, creatorId, role: "owner", subscriptionTier: "free" });
  return { ...tokens, creator: await me(env, creatorId, creatorId) };
}

export async function login(env: Env, input: { email: string; password: string }) {
  await assertNotLocked(env, input.email);
  const db = getDb(env.DB);
  const row = await db
    .select({ member: members, creator: creators })
    .from(members)
    .innerJoin(creators, eq(creators.id, members.creatorId))
    .where(eq(members.email, input.email))
    .get();
  // verifyPassword does the full KDF even without a hash: no timing hint that the email is unknown.
  const ok = await verifyPassword(input.password, row?.member.passwordHash);
  if (!row || !ok) {
    await recordLoginFailure(env, input.email);
    throw unauthenticated("Invalid email or password");
  }
  await clearLoginFailures(env, input.email);
  if (row.member.status !== "active" || row.creator.status !== "active" || !row.creator.isActive) {
    throw unauthenticated("Invalid email or password");
  }
  await db.update(members).set({ lastLoginAt: nowIso() }).where(eq(members.id, row.member.id));
  const tokens = await startSession(env, {
    memberId: row.member.id,
    creatorId: row.creator.id,
    role: row.member.role,
    subscriptionTier: row.creator.subscriptionTier,
  });
  return { ...tokens, creator: await me(env, row.creator.id, row.member.id) };
}

export async function me(env: Env, creatorId: string, memberId: string) {
  const row = await getDb(env.DB)
    .select({ member: members, creator: creators })
    .from(members)
    .innerJoin(creators, eq(creators.id, members.creatorId))
    .where(and(eq(members.id, memberId), eq(members.creatorId, creatorId)))
    .get();
  if (!row) throw notFound("Account");
  return presentMe(row.creator, row.member);
}

/** Ends the caller's session: its refresh-token family and the access token in hand. */
export async function logout(env: Env, claims: AccessClaims, refreshToken?: string): Promise<void> {
  await revokeSession(env, claims.sid, "logout");
  await revokeAccessToken(env, claims);
  if (refreshToken) {
    const s = await sessionOfRefreshToken(env, refreshToken);
    if (s && s.creatorId === claims.creator_id) await revokeSession(env, s.sessionId, "logout");
  }
  await closeMemberSockets(env, claims.creator_id, claims.sub, claims.sid);
}

/**
 * RFC 7009 style: revoking a token the caller does not own, or that does not exist, is not an
 * error (existence is not leaked) but reports revoked: false.
 */
export async function revoke(
  env: Env,
  claims: AccessClaims,
  input: { token?: string; token_type_hint?: "access_token" | "refresh_token"; all_sessions?: boolean },
): Promise<{ revoked: boolean; sessions_revoked?: boolean }> {
  if (input.all_sessions) {
    await revokeMemberSessions(env, claims.creator_id, claims.sub, "revoke_all");
    await revokeAccessToken(env, claims);
    await closeMemberSockets(env, claims.creator_id, claims.sub);
    if (!input.token) return { revoked: true, sessions_revoked: true };
  }
  const token = input.token!;
  const looksLikeJwt = token.split(".").length === 3;
  if (input.token_type_hint !== "refresh_token" && looksLikeJwt) {
    try {
      const target = await verifyAccessToken(env, token, { allowExpired: true });
      if (target.creator_id !== claims.creator_id) return { revoked: false };
      // Agents may revoke only their own tokens; owners and admins any token of their workspace.
      if (target.sub !== claims.sub && !claims.permissions.includes("admin")) return { revoked: false };
      await revokeAccessToken(env, target);
      await closeMemberSockets(env, target.creator_id, target.sub, target.sid);
      return { revoked: true };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { revoked: false };
    }
  }
  const s = await sessionOfRefreshToken(env, token);
  if (!s || s.creatorId !== claims.creator_id) return { revoked: false };
  // As for access tokens: members revoke their own sessions only; owners and admins any of the workspace.
  if (s.memberId !== claims.sub && !claims.permissions.includes("admin")) return { revoked: false };
  await revokeSession(env, s.sessionId, "revoked");
  await closeMemberSockets(env, s.creatorId, null, s.sessionId);
  return { revoked: true };
}

export async function requestPasswordReset(env: Env, email: string): Promise<void> {
  const db = getDb(env.DB);
  const member = await db.select().from(members).where(eq(members.email, email)).get();
  // The answer is the same whether or not the account exists.
  if (!member || member.status !== "active") {
    log("info", "password reset requested for an unknown or inactive account");
    return;
  }
  if (!(await mayMailReset(env, member.email))) {
    log("warn", "password reset mail cap reached", { member_id: member.id });
    return;
  }
  const token = randomToken();
  await db.insert(oneTimeTokens).values({
    id: newId(),
    creatorId: member.creatorId,
    memberId: member.id,
    purpose: "password_reset",
    tokenHash: await sha256Hex(token),
    expiresAt: isoIn(RESET_TTL),
  });
  const link = `${config(env).publicBaseUrl}/reset-password?token=${encodeURIComponent(token)}`;
  await mailSender(env).send({
    to: member.email,
    subject: "Reset your EdgeCoach password",
    text: `Someone asked to reset the password of your EdgeCoach account.\n\nReset it here within 30 minutes: ${link}\n\nReset token: ${token}\n\nIf it wasn't you, ignore this message.`,
  });
}

/** Takes a single-use mailed token (hashed at rest); marks it used atomically. */
async function consumeOneTimeToken(env: Env, token: string, purpose: "password_reset" | "invitation") {
  const db = getDb(env.DB);
  const used = await db
    .update(oneTimeTokens)
    .set({ usedAt: nowIso() })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, await sha256Hex(token)),
        eq(oneTimeTokens.purpose, purpose),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, nowIso()),
      ),
    )
    .returning();
  return used[0] ?? null;
}

export async function confirmPasswordReset(env: Env, token: string, newPassword: string): Promise<void> {
  const db = getDb(env.DB);
  const probe = await db
    .select({ member: members })
    .from(oneTimeTokens)
    .innerJoin(members, eq(members.id, oneTimeTokens.memberId))
    .where(eq(oneTimeTokens.tokenHash, await sha256Hex(token)))
    .get();
  if (probe) assertStrongPassword(newPassword, { email: probe.member.email, name: probe.member.fullName }, "new_password");
  const row = await consumeOneTimeToken(env, token, "password_reset");
  if (!row) throw invalid([{ field: "token", message: "Reset token is invalid, expired or already used" }]);
  await db
    .update(members)
    .set({ passwordHash: await hashPassword(newPassword), updatedAt: nowIso() })
    .where(eq(members.id, row.memberId));
  // Every other reset link still in someone's mailbox dies with this one.
  await db
    .update(oneTimeTokens)
    .set({ usedAt: nowIso() })
    .where(and(eq(oneTimeTokens.memberId, row.memberId), eq(oneTimeTokens.purpose, "password_reset"), isNull(oneTimeTokens.usedAt)));
  // A new password signs the account out everywhere, and lifts a lock strangers may have caused.
  await revokeMemberSessions(env, row.creatorId, row.memberId, "password_reset");
  if (probe) await clearLoginFailures(env, probe.member.email);
}

export async function acceptInvitation(env: Env, input: { token: string; password: string; full_name?: string }) {
  const db = getDb(env.DB);
  const probe = await db
    .select({ member: members })
    .from(oneTimeTokens)
    .innerJoin(members, eq(members.id, oneTimeTokens.memberId))
    .where(eq(oneTimeTokens.tokenHash, await sha256Hex(input.token)))
    .get();
  if (probe) assertStrongPassword(input.password, { email: probe.member.email, name: input.full_name ?? probe.member.fullName });
  const row = await consumeOneTimeToken(env, input.token, "invitation");
  if (!row) throw invalid([{ field: "token", message: "Invitation is invalid, expired or already used" }]);
  const member = await db
    .update(members)
    .set({
      passwordHash: await hashPassword(input.password),
      status: "active",
      ...(input.full_name ? { fullName: input.full_name } : {}),
      updatedAt: nowIso(),
    })
    .where(and(eq(members.id, row.memberId), eq(members.creatorId, row.creatorId), eq(members.status, "invited")))
    .returning()
    .get();
  if (!member) throw invalid([{ field: "token", message: "Invitation is no longer valid" }]);
  const creator = await db.select().from(creators).where(eq(creators.id, member.creatorId)).get();
  if (!creator || creator.status !== "active") throw invalid([{ field: "token", message: "Invitation is no longer valid" }]);
  const tokens: TokenPair = await startSession(env, {
    memberId: member.id,
    creatorId: member.creatorId,
    role: member.role,
    subscriptionTier: creator.subscriptionTier,
  });
  return { ...tokens, creator: presentMe(creator, member) };
}
