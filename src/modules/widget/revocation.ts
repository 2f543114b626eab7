// Revoking widget tokens before they expire: ending a session revokes that session's tokens, and
// rotating the creator's widget key revokes every token issued before (token epoch). Checked where a
// widget token is accepted (the socket gateway, the session REST calls); sockets already open with
// a revoked token are closed by their conversation's object.
import { eq, gt, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversationPresence, widgetConfigs, widgetSessions } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { unauthenticated } from "../../lib/errors";
import { randomToken } from "../../lib/ids";
import { log } from "../../lib/logging";
import { conversationStub } from "../../realtime";
import { verifyWidgetToken, type WidgetClaims } from "./tokens";

/** A valid widget token whose session is still open and whose epoch is the creator's current one. */
export async function verifyLiveWidgetToken(env: Env, token: string): Promise<WidgetClaims> {
  const claims = await verifyWidgetToken(env, token);
  const t = tenant(env.DB, claims.creator_id);
  const row = await t.db
    .select({ endedAt: widgetSessions.endedAt, epoch: widgetConfigs.tokenEpoch })
    .from(widgetSessions)
    .innerJoin(widgetConfigs, eq(widgetConfigs.creatorId, widgetSessions.creatorId))
    .where(t.where(widgetSessions, eq(widgetSessions.id, claims.sid)))
    .get();
  if (!row || row.endedAt !== null || (claims.kep ?? 0) < row.epoch) throw unauthenticated("The widget token has been revoked");
  return claims;
}

/**
 * A new widget key (the old embed snippet stops opening sessions) and a new token epoch: every
 * widget token issued before is refused from now on, and the sockets holding one are closed.
 */
export async function rotateWidgetKey(env: Env, creatorId: string): Promise<void> {
  const t = tenant(env.DB, creatorId);
  const updated = await t.db
    .update(widgetConfigs)
    .set({ widgetKey: `wk_${randomToken(18)}`, tokenEpoch: sql`${widgetConfigs.tokenEpoch} + 1`, updatedAt: nowIso() })
    .where(t.where(widgetConfigs))
    .returning({ epoch: widgetConfigs.tokenEpoch })
    .get();
  if (!updated) return;
  // The conversations with widget sockets open, as their objects last reported (presence is written urgently).
  const live = await t.db
    .select({ id: conversationPresence.conversationId })
    .from(conversationPresence)
    .where(t.where(conversationPresence, gt(conversationPresence.userSockets, 0)))
    .all();
  const results = await Promise.allSettled(
    live.map((c) => conversationStub(env, c.id).revokeWidgetSockets(c.id, t.creatorId, { epochBelow: updated.epoch })),
  );
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed) log("warn", "some widget sockets could not be closed after a key rotation", { creator_id: creatorId, failed });
}
