// Exact plan usage: one object per creator counts every metered action per UTC day and month in its
// SQLite, so concurrent requests from any isolate never over-spend a limit. It also holds the
// operator's per-creator overrides and remembers which 80 %/100 % notices a period has already had.
import { DurableObject } from "cloudflare:workers";
import { COUNTED_LIMITS, type CountedLimit, type Tier } from "../src/config";
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

const THRESHOLDS = [80, 100] as const;

export class UsageMeter extends DurableObject {
  private ready = false;
  private cleanedFor = "";

  private sql() {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec("CREATE TABLE IF NOT EXISTS counters (name TEXT NOT NULL, period TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (name, period))");
      sql.exec("CREATE TABLE IF NOT EXISTS notices (name TEXT NOT NULL, period TEXT NOT NULL, percent INTEGER NOT NULL, PRIMARY KEY (name, period, percent))");
      sql.exec("CREATE TABLE IF NOT EXISTS plan (id INTEGER PRIMARY KEY CHECK (id = 1), overrides TEXT)");
      this.ready = true;
    }
    return sql;
  }

  private overrides(): PlanOverrides | null {
    const row = this.sql().exec<{ overrides: string | null }>("SELECT overrides FROM plan WHERE id = 1").toArray()[0];
    return row?.overrides ? (JSON.parse(row.overrides) as PlanOverrides) : null;
  }

  async setOverrides(overrides: PlanOverrides | null): Promise<void> {
    this.sql().exec(
      "INSERT INTO plan (id, overrides) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET overrides = excluded.overrides",
      overrides ? JSON.stringify(overrides) : null,
    );
  }

  /** All-or-nothing: counted against every limit only if every limit allows it. */
  async charge(tier: Tier, charges: Charge[], now = Date.now()): Promise<ChargeResult> {
    const sql = this.sql();
    const limits = resolveLimits(tier, this.overrides());
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
    return { allowed: true, crossed };
  }

  async snapshot(now = Date.now()): Promise<UsageSnapshot> {
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
      overrides: this.overrides(),
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
