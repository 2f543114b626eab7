// Exact plan usage: one object per creator counts every metered action per UTC day and month in its
// SQLite, so concurrent requests from any isolate never over-spend a limit. It reserves gauge slots
// (knowledge bases, team members, storage) for creates in flight, caches the operator's per-creator
// overrides (D1's creators.plan_overrides is the source of truth) and remembers which 80 %/100 %
// notices a period has already had.
import { DurableObject } from "cloudflare:workers";
import { COUNTED_LIMITS, type CountedLimit, type GaugeLimit, type Tier } from "../src/config";
import type { Env } from "../src/env";
import { gaugeValues, storedOverrides } from "../src/modules/plans/gauges";
import { periodEnd, periodKeys, resolveLimits, type Period, type PlanOverrides } from "../src/modules/plans/limits";

export interface Charge {
  limit: CountedLimit;
  amount?: number;
  /** A platform ceiling below the plan's limits (the audience's AI answers per day): the lower one counts. */
  ceiling?: Partial<Record<Period, number | null>>;
}

export interface Threshold {
  limit: CountedLimit;
  period: Period;
  percent: 80 | 100;
  used: number;
  max: number;
}

export interface ChargeResult {
  allowed: boolean;
  /** When it was counted (a refund gives it back to the same day and month). */
  at?: number;
  /** The first limit that refused the charge. */
  denied?: { limit: CountedLimit; period: Period; max: number; used: number; resetAt: number };
  /** Notices newly due (each is returned once per limit, period and threshold). */
  crossed: Threshold[];
}

export interface UsageSnapshot {
  overrides: PlanOverrides | null;
  used: Record<CountedLimit, Record<Period, number>>;
  resets: Record<Period, string>;
}

export type Reservation = { ok: true; id: string | null } | { ok: false; max: number; current: number };

const THRESHOLDS = [80, 100] as const;
/** The overrides cached from D1 are re-read after this (a missed refresh heals by itself). */
const OVERRIDES_TTL_MS = 60_000;
/** A reservation whose request never came back (its isolate died) frees its slot after this. */
const RESERVATION_TTL_MS = 5 * 60_000;

export class UsageMeter extends DurableObject<Env> {
  private ready = false;
  private cleanedFor = "";
  private cached: { overrides: PlanOverrides | null; at: number } | null = null;

  private sql() {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec("CREATE TABLE IF NOT EXISTS counters (name TEXT NOT NULL, period TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (name, period))");
      sql.exec("CREATE TABLE IF NOT EXISTS notices (name TEXT NOT NULL, period TEXT NOT NULL, percent INTEGER NOT NULL, PRIMARY KEY (name, period, percent))");
      sql.exec("CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, name TEXT NOT NULL, amount INTEGER NOT NULL, expires_at INTEGER NOT NULL)");
      this.ready = true;
    }
    return sql;
  }

  /** The creator's overrides: D1's, cached for a minute (and refreshed at once by setPlan). */
  private async overrides(creatorId: string): Promise<PlanOverrides | null> {
    if (this.cached && Date.now() - this.cached.at < OVERRIDES_TTL_MS) return this.cached.overrides;
    const overrides = (await storedOverrides(this.env.DB, creatorId)) as PlanOverrides | null;
    this.cached = { overrides, at: Date.now() };
    return overrides;
  }

  /** Called by setPlan after it wrote D1: the new overrides apply from the next request. */
  async setOverrides(overrides: PlanOverrides | null): Promise<void> {
    this.cached = { overrides, at: Date.now() };
  }

  /** All-or-nothing: counted against every limit only if every limit allows it. */
  async charge(creatorId: string, tier: Tier, charges: Charge[], now = Date.now()): Promise<ChargeResult> {
    const limits = resolveLimits(tier, await this.overrides(creatorId));
    const sql = this.sql();
    const keys = periodKeys(now);
    this.cleanup(keys);
    const plans = charges.flatMap((c) =>
      (["day", "month"] as const).map((period) => {
        const row = sql.exec<{ used: number }>("SELECT used FROM counters WHERE name = ? AND period = ?", c.limit, keys[period]).toArray()[0];
        const plan = limits[c.limit][period];
        const ceiling = c.ceiling?.[period] ?? null;
        const max = plan === null ? ceiling : ceiling === null ? plan : Math.min(plan, ceiling);
        return { limit: c.limit, period, amount: c.amount ?? 1, used: row?.used ?? 0, max };
      }),
    );
    const refused = plans.find((p) => p.max !== null && p.used + p.amount > p.max);
    if (refused) {
      return {
        allowed: false,
        denied: { limit: refused.limit, period: refused.period, max: refused.max!, used: refused.used, resetAt: periodEnd(refused.period, now) },
        crossed: [],
      };
    }
    const crossed: Threshold[] = [];
    for (const p of plans) {
      sql.exec(
        "INSERT INTO counters (name, period, used) VALUES (?, ?, ?) ON CONFLICT(name, period) DO UPDATE SET used = used + excluded.used",
        p.limit,
        keys[p.period],
        p.amount,
      );
      if (p.max === null || p.max === 0) continue;
      const after = p.used + p.amount;
      for (const percent of THRESHOLDS) {
        const at = (p.max * percent) / 100;
        if (p.used < at && after >= at) {
          const fresh = sql.exec("INSERT OR IGNORE INTO notices (name, period, percent) VALUES (?, ?, ?)", p.limit, keys[p.period], percent).rowsWritten;
          if (fresh > 0) crossed.push({ limit: p.limit, period: p.period, percent, used: after, max: p.max });
        }
      }
    }
    return { allowed: true, at: now, crossed };
  }

  /** Gives back what a failed request was charged (never below zero), in the day and month it was charged. */
  async refund(charges: Charge[], at: number): Promise<void> {
    const keys = periodKeys(at);
    const sql = this.sql();
    for (const c of charges) {
      for (const period of ["day", "month"] as const) {
        sql.exec("UPDATE counters SET used = max(0, used - ?) WHERE name = ? AND period = ?", c.amount ?? 1, c.limit, keys[period]);
      }
    }
  }

  /**
   * Reserves `amount` of a gauge for a create in flight. Serialized (no other call reaches the object
   * while it reads D1 and decides), it counts what exists in D1 plus every slot still reserved, so of
   * two concurrent creates at limit−1 exactly one gets the slot; the caller releases it once its
   * create has committed (D1 then counts it) or failed.
   */
  async reserve(creatorId: string, tier: Tier, limit: GaugeLimit, amount: number, now = Date.now()): Promise<Reservation> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const max = resolveLimits(tier, await this.overrides(creatorId))[limit];
      if (max === null) return { ok: true, id: null };
      const sql = this.sql();
      sql.exec("DELETE FROM reservations WHERE expires_at < ?", now);
      const held = sql.exec<{ n: number }>("SELECT coalesce(sum(amount), 0) AS n FROM reservations WHERE name = ?", limit).one().n;
      const current = (await gaugeValues(this.env.DB, creatorId))[limit];
      if (current + held + amount > max) return { ok: false, max, current };
      const id = crypto.randomUUID();
      sql.exec("INSERT INTO reservations (id, name, amount, expires_at) VALUES (?, ?, ?, ?)", id, limit, amount, now + RESERVATION_TTL_MS);
      return { ok: true, id };
    });
  }

  async release(id: string): Promise<void> {
    this.sql().exec("DELETE FROM reservations WHERE id = ?", id);
  }

  async snapshot(creatorId: string, now = Date.now()): Promise<UsageSnapshot> {
    const sql = this.sql();
    const keys = periodKeys(now);
    const used = Object.fromEntries(COUNTED_LIMITS.map((k) => [k, { day: 0, month: 0 }])) as UsageSnapshot["used"];
    for (const row of sql.exec<{ name: string; period: string; used: number }>(
      "SELECT name, period, used FROM counters WHERE period IN (?, ?)",
      keys.day,
      keys.month,
    )) {
      const entry = used[row.name as CountedLimit];
      if (entry) entry[row.period === keys.day ? "day" : "month"] = row.used;
    }
    return {
      overrides: await this.overrides(creatorId),
      used,
      resets: { day: new Date(periodEnd("day", now)).toISOString(), month: new Date(periodEnd("month", now)).toISOString() },
    };
  }

  /** Past periods mean nothing: dropped once a day, so the object's storage stays a few rows. */
  private cleanup(keys: Record<Period, string>): void {
    if (this.cleanedFor === keys.day) return;
    this.cleanedFor = keys.day;
    const sql = this.sql();
    sql.exec("DELETE FROM counters WHERE (period LIKE 'd:%' AND period < ?) OR (period LIKE 'm:%' AND period < ?)", keys.day, keys.month);
    sql.exec("DELETE FROM notices WHERE (period LIKE 'd:%' AND period < ?) OR (period LIKE 'm:%' AND period < ?)", keys.day, keys.month);
  }
}
