// A creator's effective limits: the tier's row of PLAN_LIMITS with the operator's overrides on top.
import { z } from "@hono/zod-openapi";
import { COUNTED_LIMITS, GAUGE_LIMITS, PLAN_LIMITS, TIERS, type CountedLimit, type PlanLimits, type Tier } from "../../config";

const Max = z.number().int().min(0).nullable();
/** What the operator may override: any number of any limit; null = unlimited. */
export const PlanOverridesSchema = z
  .object({
    ...Object.fromEntries(COUNTED_LIMITS.map((k) => [k, z.object({ day: Max.optional(), month: Max.optional() }).strict().optional()])),
    ...Object.fromEntries(GAUGE_LIMITS.map((k) => [k, Max.optional()])),
  } as Record<string, z.ZodTypeAny>)
  .strict()
  .openapi("PlanOverrides");
export type PlanOverrides = Partial<{ [K in CountedLimit]: { day?: number | null; month?: number | null } }> &
  Partial<Record<(typeof GAUGE_LIMITS)[number], number | null>>;

export function asTier(value: string | undefined | null): Tier {
  return (TIERS as readonly string[]).includes(value ?? "") ? (value as Tier) : "free";
}

export function resolveLimits(tier: Tier, overrides: PlanOverrides | null | undefined): PlanLimits {
  const base = PLAN_LIMITS[tier];
  const out = structuredClone(base);
  for (const key of COUNTED_LIMITS) {
    const o = overrides?.[key];
    if (o?.day !== undefined) out[key].day = o.day;
    if (o?.month !== undefined) out[key].month = o.month;
  }
  for (const key of GAUGE_LIMITS) {
    const o = overrides?.[key];
    if (o !== undefined) out[key] = o;
  }
  return out;
}

export type Period = "day" | "month";

/** Period keys in UTC: counters of a day/month live under their own key, so a new period starts at 0. */
export function periodKeys(now: number): Record<Period, string> {
  const iso = new Date(now).toISOString();
  return { day: `d:${iso.slice(0, 10)}`, month: `m:${iso.slice(0, 7)}` };
}

/** When the period containing `now` ends (epoch ms). */
export function periodEnd(period: Period, now: number): number {
  const d = new Date(now);
  return period === "day"
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
