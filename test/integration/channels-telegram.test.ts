import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator } from "../helpers";
import { connectTelegram, eventually, postTelegram, stubCalls, telegramUpdate } from "../channel-helpers";

describe("Telegram inbound", () => {
  it("answers a text update once through the Bot API", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    expect(ch.body.status).toBe("active");
    const res = await postTelegram(telegramUpdate(1), ch.secret);
    expect(res.status).toBe(200);
    const sends = await eventually(async () => { const c = await stubCalls(ch.token, "sendMessage"); return c.length ? c : undefined; }, "a reply");
    expect(sends[0]!.body.chat_id).toBe("521930114");
  });
});
