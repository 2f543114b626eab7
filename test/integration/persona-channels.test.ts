// The persona reaches the audience: the widget session's config carries the assistant's name and
// greeting (the widget shows them in its header and first bubble); Telegram's /start uses the greeting.
import { describe, expect, it, vi } from "vitest";
import { api, createCreator } from "../helpers";
import { connectTelegram, eventually, postTelegram, stubCalls } from "../channel-helpers";
import start from "../fixtures/telegram/start-command.json";
import { openSession, widgetKeyOf } from "../realtime";

vi.setConfig({ testTimeout: 60_000 });

describe("persona in the widget and channels", () => {
  it("the widget config names the assistant and greets with the persona (else the widget's own title)", async () => {
    const s = await createCreator();
    const key = await widgetKeyOf(s.access_token);
    const before = await openSession(key);
    expect((before as any).widget).toMatchObject({ assistant_name: null, greeting: null, title: expect.any(String) });
    await api("/api/v1/creators/assistant", { method: "PUT", token: s.access_token, json: { name: "Coach Ana", greeting: "Hi, I'm Ana! Ask me about your plan." } });
    const after = await openSession(key);
    expect((after as any).widget).toMatchObject({ assistant_name: "Coach Ana", greeting: "Hi, I'm Ana! Ask me about your plan." });
    // Another creator's widget keeps its own (default) persona.
    const other = await openSession(await widgetKeyOf((await createCreator()).access_token));
    expect((other as any).widget.assistant_name).toBeNull();
  });

  it("Telegram /start greets with the persona's greeting when the channel has no welcome of its own", async () => {
    const s = await createCreator();
    await api("/api/v1/creators/assistant", { method: "PUT", token: s.access_token, json: { greeting: "Hi, I'm Ana, your running coach!" } });
    const ch = await connectTelegram(s, {});
    await postTelegram(start, ch.secret);
    const [greeting] = await eventually(async () => {
      const calls = await stubCalls(ch.token, "sendMessage");
      return calls.length >= 1 ? calls : undefined;
    }, "the welcome");
    expect(greeting!.body).toEqual({ chat_id: "521930114", text: "Hi, I'm Ana, your running coach!" });
  });
});
