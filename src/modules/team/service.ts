// Team members of a creator workspace: invite (admin or agent), list, change role, remove.
import { and, asc, eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { creators, members, oneTimeTokens } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { sha256Hex } from "../../lib/crypto";
import { DAY, isoIn, nowIso } from "../../lib/clock";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { mailSender } from "../../lib/mail";
import { closeMemberSockets } from "../../realtime";
import { presentMember } from "../auth";
import { revokeMemberSessions } from "../auth";
import type { AccessClaims } from "../auth";

const INVITATION_TTL = 7 * DAY;
type TeamRole = "admin" | "agent";

/** Owners manage everyone; admins manage agents only. Nobody changes or removes the owner. */
function assertCanManage(actor: AccessClaims, role: string) {
  if (role === "owner") throw forbidden("The owner's membership can't be changed");
  if (role === "admin" && actor.role !== "owner") throw forbidden("Only the owner can manage admins");
}

export async function listMembers(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(members).where(t.where(members)).orderBy(asc(members.createdAt)).all();
  return { members: rows.map(presentMember), total: rows.length };
}

export async function inviteMember(env: Env, actor: AccessClaims, input: { email: string; full_name: string; role: TeamRole }) {
  assertCanManage(actor, input.role);
  const t = tenant(env.DB, actor.creator_id);
  const taken = await t.db.select({ id: members.id }).from(members).where(eq(members.email, input.email)).get();
  if (taken) throw conflict("This email already belongs to an account");
  const memberId = newId();
  const token = randomToken();
  const expiresAt = isoIn(INVITATION_TTL);
  try {
    await t.db.batch([
      t.db.insert(members).values({
        id: memberId,
        creatorId: t.creatorId,
        email: input.email,
        fullName: input.full_name,
        role: input.role,
        status: "invited",
      }),
      t.db.insert(oneTimeTokens).values({
        id: newId(),
        creatorId: t.creatorId,
        memberId,
        purpose: "invitation",
        tokenHash: await sha256Hex(token),
        expiresAt,
      }),
    ]);
  } catch (err) {
    if (/UNIQUE/i.test(String((err as Error)?.message) + String((err as { cause?: unknown })?.cause))) {
      throw conflict("This email already belongs to an account");
    }
    throw err;
  }
  const workspace = await t.db.select({ name: creators.fullName, company: creators.companyName }).from(creators).where(eq(creators.id, t.creatorId)).get();
  const link = `${config(env).publicBaseUrl}/accept-invitation?token=${encodeURIComponent(token)}`;
  await mailSender(env).send({
    to: input.email,
    subject: `You're invited to ${workspace?.company ?? workspace?.name ?? "a workspace"} on EdgeCoach`,
    text: `You have been invited as ${input.role}.\n\nAccept within 7 days: ${link}\n\nInvitation token: ${token}`,
  });
  const row = await t.db.select().from(members).where(t.where(members, eq(members.id, memberId))).get();
  return { ...presentMember(row!), invitation_expires_at: expiresAt };
}

async function findMember(env: Env, creatorId: string, memberId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(members).where(t.where(members, eq(members.id, memberId))).get();
  if (!row) throw notFound("Member");
  return row;
}

export async function changeRole(env: Env, actor: AccessClaims, memberId: string, role: TeamRole) {
  const target = await findMember(env, actor.creator_id, memberId);
  assertCanManage(actor, target.role);
  assertCanManage(actor, role);
  const t = tenant(env.DB, actor.creator_id);
  const row = await t.db
    .update(members)
    .set({ role, updatedAt: nowIso() })
    .where(t.where(members, eq(members.id, memberId)))
    .returning()
    .get();
  await closeMemberSockets(env, actor.creator_id, memberId);
  return presentMember(row!);
}

export async function removeMember(env: Env, actor: AccessClaims, memberId: string) {
  const target = await findMember(env, actor.creator_id, memberId);
  assertCanManage(actor, target.role);
  const t = tenant(env.DB, actor.creator_id);
  await revokeMemberSessions(env, t.creatorId, memberId, "member_removed");
  await t.db.batch([
    t.db.delete(oneTimeTokens).where(t.where(oneTimeTokens, eq(oneTimeTokens.memberId, memberId))),
    t.db.delete(members).where(and(t.where(members), eq(members.id, memberId))),
  ]);
  await closeMemberSockets(env, t.creatorId, memberId);
}
