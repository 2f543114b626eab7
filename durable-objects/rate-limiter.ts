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

/** Failures of one account before its logins are refused, and how long the refusal lasts. */
export interface LockPolicy {
  threshold: number;
  windowSeconds: number;
  /** The first lock's length; each further lock (while failures keep coming) doubles it, up to max. */
  baseLockSeconds: number;
  maxLockSeconds: number;
}

export interface LockState {
  /** Epoch ms until which the account's logins are refused (0 = not locked). */
  lockedUntil: number;
  lockSeconds: number;
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
    // One row per account object: failures in the current window, the lock, and how many locks in a row.
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS account_lock (id INTEGER PRIMARY KEY CHECK (id = 1), window_start INTEGER NOT NULL, " +
        "failures INTEGER NOT NULL, locked_until INTEGER NOT NULL, strikes INTEGER NOT NULL, touched_at INTEGER NOT NULL)",
    );
  }

  private lockRow(): { window_start: number; failures: number; locked_until: number; strikes: number } | undefined {
    this.ensureTable();
    return this.ctx.storage.sql
      .exec<{ window_start: number; failures: number; locked_until: number; strikes: number }>(
        "SELECT window_start, failures, locked_until, strikes FROM account_lock WHERE id = 1",
      )
      .toArray()[0];
  }

  /** The account's current lock (0 when none). */
  async lockState(now = Date.now()): Promise<LockState> {
    const row = this.lockRow();
    const until = row && row.locked_until > now ? row.locked_until : 0;
    return { lockedUntil: until, lockSeconds: until ? Math.ceil((until - now) / 1000) : 0 };
  }

  /**
   * Counts a failed login. At `threshold` failures inside the window the account is locked for
   * base × 2^(locks so far), capped at max: a stranger can keep the owner out for minutes, never for
   * long, and the owner's refresh tokens and a password reset still work meanwhile.
   */
  async recordFailure(policy: LockPolicy, now = Date.now()): Promise<LockState> {
    const row = this.lockRow();
    const open = row !== undefined && now < row.window_start + policy.windowSeconds * 1000;
    let failures = (open ? row.failures : 0) + 1;
    const windowStart = open ? row.window_start : now;
    // Locks in a row only grow while failures keep coming; a quiet day starts over.
    let strikes = row && now - row.locked_until < 86_400_000 ? row.strikes : 0;
    let lockedUntil = row?.locked_until ?? 0;
    if (failures >= policy.threshold) {
      const seconds = Math.min(policy.maxLockSeconds, policy.baseLockSeconds * 2 ** Math.min(strikes, 20));
      lockedUntil = now + seconds * 1000;
      strikes += 1;
      failures = 0;
    }
    this.ctx.storage.sql.exec(
      "INSERT INTO account_lock (id, window_start, failures, locked_until, strikes, touched_at) VALUES (1, ?, ?, ?, ?, ?) " +
        "ON CONFLICT(id) DO UPDATE SET window_start = excluded.window_start, failures = excluded.failures, " +
        "locked_until = excluded.locked_until, strikes = excluded.strikes, touched_at = excluded.touched_at",
      windowStart,
      failures,
      lockedUntil,
      strikes,
      now,
    );
    await this.scheduleCleanup([{ key: "lock", limit: 0, windowSeconds: Math.max(policy.windowSeconds, policy.maxLockSeconds) }], now);
    return { lockedUntil: lockedUntil > now ? lockedUntil : 0, lockSeconds: lockedUntil > now ? Math.ceil((lockedUntil - now) / 1000) : 0 };
  }

  /** A successful login or password reset: the account starts over. */
  async clearLock(): Promise<void> {
    this.ensureTable();
    this.ctx.storage.sql.exec("DELETE FROM account_lock");
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

  /**
   * Up to `want` hits of one check at once, as many as its window has left: a conversation object's
   * lease on its end user's chat budget, spent message by message in the object's memory (so the
   * shared counter is consulted once per lease, not once per message). The count grows by what was granted.
   */
  async take(check: RateCheck, want: number, now = Date.now()): Promise<{ granted: number; reset: number }> {
    const nowSec = Math.floor(now / 1000);
    this.ensureTable();
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ window_start: number; count: number }>("SELECT window_start, count FROM counters WHERE key = ?", check.key).toArray()[0];
    const open = row !== undefined && nowSec < row.window_start + check.windowSeconds;
    const windowStart = open ? row.window_start : nowSec;
    const granted = Math.max(0, Math.min(want, check.limit - (open ? row.count : 0)));
    if (granted > 0) {
      sql.exec(
        "INSERT INTO counters (key, window_start, count) VALUES (?, ?, ?) " +
          "ON CONFLICT(key) DO UPDATE SET window_start = excluded.window_start, " +
          "count = CASE WHEN counters.window_start = excluded.window_start THEN counters.count + excluded.count ELSE excluded.count END",
        check.key,
        windowStart,
        granted,
      );
      await this.scheduleCleanup([check], now);
    }
    return { granted, reset: windowStart + check.windowSeconds };
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
    this.ctx.storage.sql.exec("DELETE FROM account_lock WHERE touched_at < ?", Date.now() - 86_400_000);
    const left =
      this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM counters").one().n +
      this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM account_lock").one().n;
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
