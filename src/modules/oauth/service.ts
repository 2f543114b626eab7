// Sign-in with a verified provider identity: find the linked member, link a member with the same
// verified email, or register a new creator; then a one-time ticket that the browser trades for the
// console's cookie session (ai-chat-app-api.md: callback → login-success-redirect → validate-token).
import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../../db/client";
import { creators, members, oauthIdentities, oauthTickets } from "../../db/schema";
import type { Env } from "../../env";
import { sha256Hex } from "../../lib/crypto";
import { MINUTE, isoIn, nowIso } from "../../lib/clock";
import { forbidden, unauthenticated } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { log } from "../../lib/logging";
import { me } from "../auth";
import { startSession } from "../auth";
import { assertRegistrationAllowed } from "./allowlist";
import type { Provider, VerifiedIdentity } from "./provider";

/** The ticket crosses two redirects in the same browser within a second or two. */
const TICKET_TTL = 1 * MINUTE;

type Row = { member: typeof members.$inferSelect; creator: typeof creators.$inferSelect };

async function memberBy(env: Env, where: ReturnType<typeof eq>): Promise<Row | undefined> {
  return getDb(env.DB).select({ member: members, creator: creators }).from(members).innerJoin(creators, eq(creators.id, members.creatorId)).where(where).get();
}

export async function signInWithIdentity(env: Env, provider: Provider, identity: VerifiedIdentity, redirectTo: string): Promise<{ ticket: string; created: boolean; linked: boolean }> {
  // An unverified address proves nothing: it could be anybody's, so it neither links nor registers.
  if (!identity.emailVerified) throw forbidden("The provider has not verified this email address");
  const db = getDb(env.DB);
  let created = false;
  let linked = false;
  const known = await db
    .select({ memberId: oauthIdentities.memberId })
    .from(oauthIdentities)
    .where(and(eq(oauthIdentities.provider, provider), eq(oauthIdentities.subject, identity.subject)))
    .get();
  let row = known ? await memberBy(env, eq(members.id, known.memberId)) : undefined;
  if (!row) {
    row = await memberBy(env, eq(members.email, identity.email));
    if (row) {
      if (row.member.status !== "active") throw unauthenticated("Account is not active");
      await db.insert(oauthIdentities).values({ id: newId(), creatorId: row.creator.id, memberId: row.member.id, provider, subject: identity.subject, email: identity.email }).onConflictDoNothing();
      linked = true;
    } else {
      assertRegistrationAllowed(env, identity.email);
      const creatorId = newId();
      await db.batch([
        db.insert(creators).values({ id: creatorId, email: identity.email, fullName: identity.name }),
        // No password: the owner signs in with the provider (and can set one through the reset flow).
        db.insert(members).values({ id: creatorId, creatorId, email: identity.email, fullName: identity.name, role: "owner", status: "active", passwordHash: null }),
        db.insert(oauthIdentities).values({ id: newId(), creatorId, memberId: creatorId, provider, subject: identity.subject, email: identity.email }),
      ]);
      row = (await memberBy(env, eq(members.id, creatorId)))!;
      created = true;
    }
  }
  if (row.member.status !== "active" || row.creator.status !== "active" || !row.creator.isActive) throw unauthenticated("Account is not active");
  const ticket = randomToken();
  await db.batch([
    db.insert(oauthTickets).values({ tokenHash: await sha256Hex(ticket), creatorId: row.creator.id, memberId: row.member.id, redirectTo, expiresAt: isoIn(TICKET_TTL) }),
    db.update(oauthIdentities).set({ lastLoginAt: nowIso() }).where(and(eq(oauthIdentities.provider, provider), eq(oauthIdentities.subject, identity.subject))),
    db.update(members).set({ lastLoginAt: nowIso() }).where(eq(members.id, row.member.id)),
  ]);
  log("info", "oauth.sign_in", { provider, creator_id: row.creator.id, created, linked });
  return { ticket, created, linked };
}

/** Single use: of two redemptions of one ticket only the first gets a session. */
export async function redeemTicket(env: Env, ticket: string) {
  const db = getDb(env.DB);
  const hash = await sha256Hex(ticket);
  const [claimed] = await db
    .update(oauthTickets)
    .set({ usedAt: nowIso() })
    .where(and(eq(oauthTickets.tokenHash, hash), isNull(oauthTickets.usedAt)))
    .returning();
  if (!claimed || claimed.expiresAt <= nowIso()) throw unauthenticated("Invalid or expired sign-in token");
  const row = await memberBy(env, eq(members.id, claimed.memberId));
  if (!row || row.member.status !== "active" || row.creator.status !== "active" || !row.creator.isActive) throw unauthenticated("Account is not active");
  const tokens = await startSession(env, { memberId: row.member.id, creatorId: row.creator.id, role: row.member.role, subscriptionTier: row.creator.subscriptionTier });
  return { tokens, redirectTo: claimed.redirectTo, creator: await me(env, row.creator.id, row.member.id) };
}
