// Exact fixed-window rate limiting (windows open at the first hit): one object per subject (a creator, or a client address), its
// counters in the object's SQLite. The object is single-threaded, so concurrent hits never race.
import { DurableObject } from "cloudflare:workers";

export interface RateCheck {
  /** Counter name inside this object, e.g. "client:default" or "creator:api". */
  key: string;
  limit: number;
  windowSeconds: number;
}

export interface RateResult {
  key: string;
  limit: number;
  remaining: number;
  /** Epoch seconds when the current window ends. */
  reset: number;
  allowed: boolean;
}

export class RateLimiter extends DurableObject {
  private alarmSet = false;
  private tableReady = false;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
  }

  private ensureTable(): void {
    // Once per instance, and again after deleteAll() in alarm(), which drops the table.
    if (this.tableReady) return;
    this.tableReady = true;
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)",
    );
  }

  /** All-or-nothing: a request is counted against every check only if every check allows it. */
  async hit(checks: RateCheck[], now = Date.now()): Promise<RateResult[]> {
    const nowSec = Math.floor(now / 1000);
    const sql = this.ctx.storage.sql;
    this.ensureTable();
    const states = checks.map((check) => {
      const row = sql.exec<{ window_start: number; count: number }>(
        "SELECT window_start, count FROM counters WHERE key = ?",
        check.key,
      ).toArray()[0];
      // A window opens at the first hit after the previous one closed (not on clock boundaries),
      // so a burst is never split across two windows.
      const open = row !== undefined && nowSec < row.window_start + check.windowSeconds;
      return { check, windowStart: open ? row.window_start : nowSec, count: open ? row.count : 0 };
    });
    const allowed = states.every((s) => s.count < s.check.limit);
    if (allowed) {
      for (const s of states) {
        sql.exec(
          "INSERT INTO counters (key, window_start, count) VALUES (?, ?, 1) " +
            "ON CONFLICT(key) DO UPDATE SET window_start = excluded.window_start, " +
            "count = CASE WHEN counters.window_start = excluded.window_start THEN counters.count + 1 ELSE 1 END",
          s.check.key,
          s.windowStart,
        );
        s.count += 1;
      }
      await this.scheduleCleanup(checks, now);
    }
    return states.map((s) => ({
      key: s.check.key,
      limit: s.check.limit,
      remaining: Math.max(0, s.check.limit - s.count),
      reset: s.windowStart + s.check.windowSeconds,
      allowed: allowed || s.count < s.check.limit,
    }));
  }

  /** Once every window has ended the counters mean nothing: drop them so idle subjects cost no storage. */
  private async scheduleCleanup(checks: RateCheck[], now: number): Promise<void> {
    if (this.alarmSet) return;
    const longest = Math.max(...checks.map((c) => c.windowSeconds));
    await this.ctx.storage.setAlarm(now + (longest + 60) * 1000);
    this.alarmSet = true;
  }

  override async alarm(): Promise<void> {
    const nowSec = Math.floor(Date.now() / 1000);
    this.ensureTable();
    // Keep counters whose window may still be open; the longest window is a day.
    this.ctx.storage.sql.exec("DELETE FROM counters WHERE window_start < ?", nowSec - 86_400);
    const left = this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM counters").one().n;
    this.alarmSet = false;
    if (left > 0) {
      await this.ctx.storage.setAlarm(Date.now() + 3600_000);
      this.alarmSet = true;
    } else {
      await this.ctx.storage.deleteAll();
      this.tableReady = false;
    }
  }
}
