// Plans and usage: charging metered actions against the creator's tier (exact, in the UsageMeter
// object), gauges read from D1, the dashboard, and the operator's plan changes.
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { getDb, tenant } from "../../db/client";
import { conversationFiles, conversations, creators, documents, knowledgeBases, members, sessions } from "../../db/schema";
import type { Env } from "../../env";
import { config, COUNTED_LIMITS, GAUGE_LIMITS, type CountedLimit, type GaugeLimit, type Tier } from "../../config";
import { AppError, notFound } from "../../lib/errors";
import { nowIso } from "../../lib/clock";
import type { Charge, ChargeResult } from "../../../durable-objects/usage-meter";
import { asTier, resolveLimits, type PlanOverrides } from "./limits";
import { notifyPlanThresholds } from "./notify";

function meter(env: Env, creatorId: string) {
  return env.USAGE.get(env.USAGE.idFromName(creatorId));
}

export function plansEnabled(env: Env): boolean {
  return config(env).plans.enabled;
}

function limitReached(limit: string, period: string, max: number, tier: Tier, resetAt?: number): AppError {
  const headers: Record<string, string> = { "X-Plan-Limit": limit };
  if (resetAt) headers["Retry-After"] = String(Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)));
  const per = period === "total" ? "" : ` per ${period}`;
  return new AppError(
    "RATE_LIMIT_EXCEEDED",
    `Plan limit reached: ${limit} (${max}${per} on the ${tier} plan)`,
    [{ field: limit, message: `${max}${per} on the ${tier} plan` }],
    headers,
  );
}

export interface Charged {
  result: ChargeResult;
  /** The 80 %/100 % mails: hand to waitUntil so they never delay the answer. */
  notices: Promise<void>;
}

/** Counts `charges` against the creator's plan; nothing is counted when any limit refuses. */
export async function charge(env: Env, creatorId: string, tier: string, charges: Charge[]): Promise<Charged> {
  if (!plansEnabled(env)) return { result: { allowed: true, crossed: [] }, notices: Promise.resolve() };
  const result = await meter(env, creatorId).charge(asTier(tier), charges);
  const notices = notifyPlanThresholds(env, creatorId, result.crossed).catch(() => {});
  return { result, notices };
}

/** `charge`, and a 429 naming the limit when it is reached. */
export async function chargeOrThrow(env: Env, creatorId: string, tier: string, charges: Charge[], waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const { result, notices } = await charge(env, creatorId, tier, charges);
  waitUntil(notices);
  if (!result.allowed) {
    const d = result.denied!;
    throw limitReached(d.limit, d.period, d.max, asTier(tier), d.resetAt);
  }
}

async function gaugeValues(env: Env, creatorId: string): Promise<Record<GaugeLimit, number>> {
  const t = tenant(env.DB, creatorId);
  const [storage, kbs, team, files] = await t.db.batch([
    t.db.select({ n: sql<number>`coalesce(sum(${documents.fileSizeBytes}), 0)` }).from(documents).where(t.where(documents)),
    t.db.select({ n: sql<number>`count(*)` }).from(knowledgeBases).where(t.where(knowledgeBases)),
    t.db.select({ n: sql<number>`count(*)` }).from(members).where(t.where(members, inArray(members.status, ["active", "invited"]))),
    // Files in conversations count as storage too (module files).
    t.db.select({ n: sql<number>`coalesce(sum(${conversationFiles.sizeBytes}), 0)` }).from(conversationFiles).where(t.where(conversationFiles)),
  ]);
  return { storage_bytes: (storage[0]?.n ?? 0) + (files[0]?.n ?? 0), knowledge_bases: kbs[0]?.n ?? 0, team_members: team[0]?.n ?? 0 };
}

/**
 * Gauges (storage, knowledge bases, team members) are what exists now, read from D1 before the
 * create. Two creates racing past the last slot can both pass: gauges are checked, not reserved
 * (the counted limits above are the exact ones).
 */
export async function assertGauge(env: Env, creatorId: string, tier: string, limit: GaugeLimit, adding = 1): Promise<void> {
  if (!plansEnabled(env)) return;
  const snapshot = await meter(env, creatorId).snapshot();
  const max = resolveLimits(asTier(tier), snapshot.overrides)[limit];
  if (max === null) return;
  const current = (await gaugeValues(env, creatorId))[limit];
  if (current + adding > max) throw limitReached(limit, "total", max, asTier(tier));
}

export async function dashboard(env: Env, creator: { id: string; subscriptionTier: string }) {
  const tier = asTier(creator.subscriptionTier);
  const t = tenant(env.DB, creator.id);
  const [snapshot, gauges, [liveSessions], convs] = await Promise.all([
    meter(env, creator.id).snapshot(),
    gaugeValues(env, creator.id),
    t.db
      .select({ n: sql<number>`count(*)` })
      .from(sessions)
      .where(t.where(sessions, isNull(sessions.revokedAt), gt(sessions.expiresAt, nowIso()))),
    t.db
      .select({ status: conversations.status, n: sql<number>`count(*)` })
      .from(conversations)
      .where(t.where(conversations))
      .groupBy(conversations.status),
  ]);
  const limits = resolveLimits(tier, snapshot.overrides);
  const remaining = (max: number | null, used: number) => (max === null ? null : Math.max(0, max - used));
  const usage = Object.fromEntries(
    COUNTED_LIMITS.map((k) => [
      k,
      {
        day: { used: snapshot.used[k].day, limit: limits[k].day, remaining: remaining(limits[k].day, snapshot.used[k].day) },
        month: { used: snapshot.used[k].month, limit: limits[k].month, remaining: remaining(limits[k].month, snapshot.used[k].month) },
      },
    ]),
  ) as Record<CountedLimit, { day: Usage; month: Usage }>;
  const current = Object.fromEntries(
    GAUGE_LIMITS.map((k) => [k, { used: gauges[k], limit: limits[k], remaining: remaining(limits[k], gauges[k]) }]),
  ) as Record<GaugeLimit, Usage>;
  const byStatus = Object.fromEntries(convs.map((r) => [r.status, r.n]));
  return {
    subscription_tier: tier,
    metering: plansEnabled(env),
    period: { day_resets_at: snapshot.resets.day, month_resets_at: snapshot.resets.month },
    usage: { ...usage, ...current },
    overrides: snapshot.overrides ?? {},
    sessions: { active: liveSessions?.n ?? 0 },
    conversations: { total: convs.reduce((s, r) => s + r.n, 0), active: (byStatus.active ?? 0) + (byStatus.waiting_human ?? 0), by_status: byStatus },
  };
}

interface Usage {
  used: number;
  limit: number | null;
  remaining: number | null;
}

/**
 * The tier changes only here (the operator; a billing provider's webhook would call this same
 * function after verifying its signature). The tier lives on the creator row, so the profile and
 * every access token issued from now on carry it, and requests read it from D1 at once.
 */
export async function setPlan(env: Env, creatorId: string, tier: Tier, overrides: PlanOverrides | undefined) {
  const db = getDb(env.DB);
  const exists = await db.select({ id: creators.id }).from(creators).where(eq(creators.id, creatorId)).get();
  if (!exists) throw notFound("Creator");
  // The meter first: a failure leaves the old tier in place and the operator retries the idempotent PUT.
  if (overrides !== undefined) await meter(env, creatorId).setOverrides(Object.keys(overrides).length ? overrides : null);
  await db.update(creators).set({ subscriptionTier: tier, updatedAt: nowIso() }).where(and(eq(creators.id, creatorId)));
  const snapshot = await meter(env, creatorId).snapshot();
  return { creator_id: creatorId, subscription_tier: tier, overrides: snapshot.overrides ?? {}, limits: resolveLimits(tier, snapshot.overrides) };
}
