// Limits on what a socket may send. Chat messages count per end user in the RateLimiter object (the
// "chat" category, shared with the widget's REST calls and never against the creator's quotas);
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
