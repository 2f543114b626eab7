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
  // lets one extra burst through — the sender still honours the platform's own 429s.
  /** Sends reserved per wall-clock second (the per-account limit). */
  private perSecond = new Map<number, number>();
  /** Earliest next slot per chat (the per-chat interval). */
  private nextChatSlot = new Map<string, number>();

  async reserve(req: PaceRequest, now = Date.now()): Promise<PaceResult> {
    const limit = Math.max(1, req.perSecond);
    let slot = Math.max(now, this.nextChatSlot.get(req.chatKey) ?? 0);
    // The first second, from the chat's slot on, that still has room for one more send.
    let second = Math.floor(slot / 1000);
    while ((this.perSecond.get(second) ?? 0) >= limit) second++;
    slot = Math.max(slot, second * 1000);
    const waitMs = Math.ceil(slot - now);
    if (waitMs > req.maxWaitMs) return { waitMs, reserved: false };
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    this.nextChatSlot.set(req.chatKey, slot + req.chatIntervalMs);
    this.forgetPast(now);
    return { waitMs, reserved: true };
  }

  private forgetPast(now: number) {
    const current = Math.floor(now / 1000);
    for (const second of this.perSecond.keys()) if (second < current) this.perSecond.delete(second);
    if (this.nextChatSlot.size > 10_000) for (const [key, at] of this.nextChatSlot) if (at < now) this.nextChatSlot.delete(key);
  }
}
