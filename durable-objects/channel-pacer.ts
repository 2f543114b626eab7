// Outbound pacing for one bot / WhatsApp number: hands out send slots so the account stays under
// the platform's per-account rate and each chat gets at most one message per interval. One object
// per account; single-threaded, so concurrent queue consumers never get the same slot.
import { DurableObject } from "cloudflare:workers";

export interface PaceRequest {
  chatKey: string;
  perSecond: number;
  chatIntervalMs: number;
  /** Don't reserve a slot further away than this: the caller re-queues with a delay instead. */
  maxWaitMs: number;
}

export interface PaceResult {
  /** Milliseconds to wait before sending (0 = now). */
  waitMs: number;
  /** False when the slot was further than maxWaitMs: nothing was reserved. */
  reserved: boolean;
}

export class ChannelPacer extends DurableObject {
  // Slots live in memory: if the object is evicted the schedule restarts empty, which at worst
  // lets one extra message through — the sender still honours the platform's own 429s.
  private nextAccountSlot = 0;
  private nextChatSlot = new Map<string, number>();

  async reserve(req: PaceRequest, now = Date.now()): Promise<PaceResult> {
    const spacing = 1000 / Math.max(1, req.perSecond);
    const slot = Math.max(now, this.nextAccountSlot, this.nextChatSlot.get(req.chatKey) ?? 0);
    const waitMs = Math.ceil(slot - now);
    if (waitMs > req.maxWaitMs) return { waitMs, reserved: false };
    this.nextAccountSlot = slot + spacing;
    this.nextChatSlot.set(req.chatKey, slot + req.chatIntervalMs);
    if (this.nextChatSlot.size > 10_000) this.forgetPast(now);
    return { waitMs, reserved: true };
  }

  private forgetPast(now: number) {
    for (const [key, at] of this.nextChatSlot) if (at < now) this.nextChatSlot.delete(key);
  }
}
