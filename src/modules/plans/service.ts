// Plans and usage: charging metered actions against the creator's tier (exact, in the UsageMeter
// object), gauge reservations for creates, the dashboard, and the operator's plan changes (stored in
// D1: creators.subscription_tier and creators.plan_overrides; the meter caches the overrides).
import { eq, gt, isNull, sql } from "drizzle-orm";
import { getDb, tenant } from "../../db/client";
import { conversations, creators, sessions } from "../../db/schema";
import type { Env } from "../../env";
import { config, COUNTED_LIMITS, GAUGE_LIMITS, type CountedLimit, type GaugeLimit, type Tier } from "../../config";
import { AppError, notFound } from "../../lib/errors";
import { nowIso } from "../../lib/clock";
import type { Charge, ChargeResult } from "../../../durable-objects/usage-meter";
import { gaugeValues } from "./gauges";
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
  const result = await meter(env, creatorId).charge(creatorId, asTier(tier), charges);
  const notices = notifyPlanThresholds(env, creatorId, result.crossed).catch(() => {});
  return { result, notices };
}

/** `charge`, and a 429 naming the limit when it is reached; returns when it was counted (for `refund`). */
export async function chargeOrThrow(env: Env, creatorId: string, tier: string, charges: Charge[], waitUntil: (p: Promise<unknown>) => void): Promise<number> {
  const { result, notices } = await charge(env, creatorId, tier, charges);
  waitUntil(notices);
  if (!result.allowed) {
    const d = result.denied!;
    throw limitReached(d.limit, d.period, d.max, asTier(tier), d.resetAt);
  }
  return result.at ?? Date.now();
}

/** Gives back the counted limits of a request that failed (charged at `at`). */
export async function refund(env: Env, creatorId: string, charges: Charge[], at: number): Promise<void> {
  if (!plansEnabled(env)) return;
  await meter(env, creatorId).refund(charges, at);
}

/**
 * Gauges (storage, knowledge bases, team members) are what exists in D1 plus the creates in flight:
 * a create reserves its slot in the meter (serialized, so two creates racing for the last slot can't
 * both get it) and releases it when it has committed or failed. Returns the reservation (null when
 * nothing needed reserving), or a 429 naming the limit.
 */
export async function reserveGauge(env: Env, creatorId: string, tier: string, limit: GaugeLimit, adding = 1): Promise<string | null> {
  if (!plansEnabled(env)) return null;
  const r = await meter(env, creatorId).reserve(creatorId, asTier(tier), limit, adding);
  if (!r.ok) throw limitReached(limit, "total", r.max, asTier(tier));
  return r.id;
}

export async function releaseGauge(env: Env, creatorId: string, id: string): Promise<void> {
  await meter(env, creatorId).release(id);
}

export async function dashboard(env: Env, creator: { id: string; subscriptionTier: string }) {
  const tier = asTier(creator.subscriptionTier);
  const t = tenant(env.DB, creator.id);
  const [snapshot, gauges, [liveSessions], convs] = await Promise.all([
    meter(env, creator.id).snapshot(creator.id),
    gaugeValues(env.DB, creator.id),
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
 * function after verifying its signature). Tier and overrides live on the creator row in D1 (the
 * source of truth, in the GDPR export and erased with the creator), so the profile and every access
 * token issued from now on carry the tier; the meter's cached overrides are refreshed at once (and
 * re-read from D1 within a minute should that call fail).
 */
export async function setPlan(env: Env, creatorId: string, tier: Tier, overrides: PlanOverrides | undefined) {
  const db = getDb(env.DB);
  const stored = overrides === undefined ? undefined : Object.keys(overrides).length ? (overrides as Record<string, unknown>) : null;
  const row = await db
    .update(creators)
    .set({ subscriptionTier: tier, ...(stored !== undefined ? { planOverrides: stored } : {}), updatedAt: nowIso() })
    .where(eq(creators.id, creatorId))
    .returning({ overrides: creators.planOverrides })
    .get();
  if (!row) throw notFound("Creator");
  const now = (row.overrides ?? null) as PlanOverrides | null;
  await meter(env, creatorId).setOverrides(now);
  return { creator_id: creatorId, subscription_tier: tier, overrides: now ?? {}, limits: resolveLimits(tier, now) };
}
