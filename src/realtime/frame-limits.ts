// Limits on what a socket may send. Chat messages count per end user in the RateLimiter object (the
// "chat" category, shared with the widget's REST calls and never against the creator's quotas; the
// conversation object leases them from there a tenth of the limit at a time, ChatBudget below);
// typing and resume frames, which store nothing but cost every other socket a frame (typing) or a
// replay of up to 500 messages (resume), are limited per socket in the object's memory: a flood is
// cut off where it arrives, without a round trip per frame.
import { config } from "../config";
import type { Env } from "../env";

export async function limitEndUserChat(env: Env, endUserId: string): Promise<{ allowed: boolean } | null> {
  const cfg = config(env).rateLimits;
  if (!cfg.enabled) return null;
  const rule = cfg.perClient.chat;
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`enduser:${endUserId}`));
  const [result] = await stub.hit([{ key: "enduser:chat", limit: rule.limit, windowSeconds: rule.windowSeconds }]);
  return result ?? null;
}

/** A lease: hits of the end user's current window this object may spend without asking again. */
interface Lease {
  left: number;
  /** Epoch seconds: the window's end, after which the lease is void. */
  reset: number;
}

/**
 * The chat limit of a conversation object's end users, spent from a lease: the object is the single
 * writer of its conversation, so it counts that conversation's messages itself and takes a tenth of
 * the limit from the shared RateLimiter at a time (one RPC per ten messages instead of one per
 * message). The shared counter stays exact for what was leased: other conversations of the same
 * end user (another channel) see at most a lease's worth less than is really spent, never more.
 */
export class ChatBudget {
  private readonly leases = new Map<string, Lease>();
  private readonly asking = new Map<string, Promise<number>>();

  /**
   * null when rate limits are off; otherwise whether this message may go. Synchronous (a plain
   * boolean) while the lease lasts: no other event runs in between, so no re-check is needed.
   */
  allow(env: Env, endUserId: string, now = Date.now()): boolean | null | Promise<boolean> {
    const cfg = config(env).rateLimits;
    if (!cfg.enabled) return null;
    if (this.spend(endUserId, now)) return true;
    return this.wait(env, endUserId, cfg.perClient.chat);
  }

  /** Until a lease has a hit for this message, or the window has none left. */
  private async wait(env: Env, endUserId: string, rule: { limit: number; windowSeconds: number }): Promise<boolean> {
    for (;;) {
      const granted = await this.renew(env, endUserId, rule);
      if (this.spend(endUserId, Date.now())) return true;
      if (granted === 0) return false;
    }
  }

  private spend(endUserId: string, now: number): boolean {
    const lease = this.leases.get(endUserId);
    if (!lease || lease.left <= 0 || now / 1000 >= lease.reset) return false;
    lease.left--;
    return true;
  }

  /** One request at a time per end user; the messages waiting meanwhile share its grant. */
  private renew(env: Env, endUserId: string, rule: { limit: number; windowSeconds: number }): Promise<number> {
    let pending = this.asking.get(endUserId);
    if (!pending) {
      const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`enduser:${endUserId}`));
      const want = Math.max(1, Math.ceil(rule.limit / 10));
      pending = stub
        .take({ key: "enduser:chat", limit: rule.limit, windowSeconds: rule.windowSeconds }, want)
        .then(({ granted, reset }) => {
          const lease = this.leases.get(endUserId);
          // Hits left of the same window add up; a new window replaces a void lease.
          if (lease && lease.reset === reset) lease.left += granted;
          else this.leases.set(endUserId, { left: granted, reset });
          return granted;
        })
        .finally(() => this.asking.delete(endUserId));
      this.asking.set(endUserId, pending);
    }
    return pending;
  }
}

export type SignalFrame = "typing" | "resume";

/** Fixed one-minute windows per socket and frame type; memory only (a hibernated socket starts afresh). */
export class SignalLimiter {
  private readonly windows = new WeakMap<WebSocket, Map<SignalFrame, { start: number; count: number }>>();

  constructor(private readonly limits: () => Record<SignalFrame, number>) {}

  allow(ws: WebSocket, type: SignalFrame, now = Date.now()): boolean {
    let perSocket = this.windows.get(ws);
    if (!perSocket) this.windows.set(ws, (perSocket = new Map()));
    const w = perSocket.get(type);
    if (!w || now - w.start >= 60_000) {
      perSocket.set(type, { start: now, count: 1 });
      return true;
    }
    w.count++;
    return w.count <= this.limits()[type];
  }
}
