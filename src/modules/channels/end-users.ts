// End users met on a channel: created on first contact (external id, name, language), marked
// unreachable when the platform says nobody is listening (bot blocked or kicked).
import { and, eq, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { endUsers, type ChannelKind } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { newId } from "../../lib/ids";
import type { InboundUser } from "./platform";

export async function upsertEndUser(
  env: Env,
  input: { creatorId: string; channel: ChannelKind; user: InboundUser; active: boolean },
): Promise<{ id: string; status: string; created: boolean }> {
  const t = tenant(env.DB, input.creatorId);
  const at = nowIso();
  const id = newId();
  const row = await t.db
    .insert(endUsers)
    .values({
      id,
      creatorId: t.creatorId,
      channel: input.channel,
      externalId: input.user.externalId,
      displayName: input.user.name ?? null,
      language: input.user.language ?? null,
      lastActiveAt: input.active ? at : null,
    })
    .onConflictDoUpdate({
      target: [endUsers.creatorId, endUsers.channel, endUsers.externalId],
      set: {
        displayName: sql`coalesce(excluded.display_name, ${endUsers.displayName})`,
        language: sql`coalesce(excluded.language, ${endUsers.language})`,
        // Writing to us again means they can be reached again (they unblocked the bot).
        ...(input.active ? { lastActiveAt: at, status: sql`case when ${endUsers.status} = 'unreachable' then 'active' else ${endUsers.status} end` } : {}),
      },
    })
    .returning({ id: endUsers.id, status: endUsers.status })
    .get();
  // The new id came back: this call created the contact (programs auto-enrol new users).
  return { ...row!, created: row!.id === id };
}

export async function setEndUserStatus(env: Env, creatorId: string, endUserId: string, status: "active" | "unreachable"): Promise<void> {
  const t = tenant(env.DB, creatorId);
  // "blocked" is the creator's own decision and stays.
  await t.db
    .update(endUsers)
    .set({ status })
    .where(and(t.where(endUsers, eq(endUsers.id, endUserId)), sql`${endUsers.status} != 'blocked'`))
    .run();
}

export async function findEndUser(env: Env, creatorId: string, where: { id?: string; channel?: ChannelKind; externalId?: string }) {
  const t = tenant(env.DB, creatorId);
  const cond = where.id
    ? eq(endUsers.id, where.id)
    : and(eq(endUsers.channel, where.channel!), eq(endUsers.externalId, where.externalId!));
  return t.db.select().from(endUsers).where(t.where(endUsers, cond)).get();
}
