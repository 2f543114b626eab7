// The per-bot / per-number pacing object: per-chat interval and per-account messages per second.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("ChannelPacer", () => {
  it("spaces sends per chat and per bot, and reserves nothing beyond the wait limit", async () => {
    const pacer = env.CHANNEL_PACER.get(env.CHANNEL_PACER.idFromName(`test:${crypto.randomUUID()}`));
    const req = (chatKey: string, maxWaitMs = 10_000) => ({ chatKey, perSecond: 30, chatIntervalMs: 1000, maxWaitMs });
    const t0 = 1_000_000;
    expect(await pacer.reserve(req("a"), t0)).toEqual({ waitMs: 0, reserved: true });
    expect(await pacer.reserve(req("a"), t0)).toEqual({ waitMs: 1000, reserved: true });
    // Another chat doesn't wait for chat a.
    expect(await pacer.reserve(req("b"), t0)).toEqual({ waitMs: 0, reserved: true });
    expect(await pacer.reserve(req("a", 500), t0)).toEqual({ waitMs: 2000, reserved: false });
    expect(await pacer.reserve(req("a"), t0)).toEqual({ waitMs: 2000, reserved: true });
  });

  it("keeps the whole bot under its messages per second", async () => {
    const pacer = env.CHANNEL_PACER.get(env.CHANNEL_PACER.idFromName(`test:${crypto.randomUUID()}`));
    const t0 = 2_000_000;
    const waits = [];
    for (let i = 0; i < 7; i++) waits.push((await pacer.reserve({ chatKey: `chat-${i}`, perSecond: 3, chatIntervalMs: 1000, maxWaitMs: 10_000 }, t0 + 250)).waitMs);
    expect(waits).toEqual([0, 0, 0, 750, 750, 750, 1750]);
  });
});
