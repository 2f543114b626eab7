// Channel rows: tenant-scoped reads for the API and jobs; the few unscoped lookups a public
// webhook needs to find its channel (by path id, secret hash or platform account), nothing else.
import { and, eq, inArray } from "drizzle-orm";
import { getDb, tenant } from "../../db/client";
import { channels, type ChannelType } from "../../db/schema";
import type { Env } from "../../env";
import { notFound } from "../../lib/errors";

export type ChannelRow = typeof channels.$inferSelect;

export async function getChannel(env: Env, creatorId: string, channelId: string): Promise<ChannelRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(channels).where(t.where(channels, eq(channels.id, channelId))).get();
  if (!row) throw notFound("Channel");
  return row;
}

/** Webhooks only: the channel named in the path; the caller then proves it knows its secret. */
export function channelForWebhook(env: Env, type: ChannelType, channelId: string) {
  return getDb(env.DB).select().from(channels).where(and(eq(channels.id, channelId), eq(channels.type, type))).get();
}

export function channelsByWebhookKey(env: Env, type: ChannelType, keyHash: string) {
  return getDb(env.DB).select().from(channels).where(and(eq(channels.type, type), eq(channels.webhookKeyHash, keyHash))).all();
}

export function channelsByAccount(env: Env, type: ChannelType, accountIds: string[]) {
  if (!accountIds.length) return Promise.resolve([] as ChannelRow[]);
  return getDb(env.DB).select().from(channels).where(and(eq(channels.type, type), inArray(channels.externalAccountId, accountIds))).all();
}
