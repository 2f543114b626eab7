// End to end over a real `wrangler dev`: the Telegram Bot API and the WhatsApp Graph API are played
// by a local stub server; updates go in through the public webhooks and replies come out to the stub.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatformStub, type PlatformStub } from "../support/platform-stub";
import { ROOT, startWranglerDev, type DevServer } from "../support/wrangler-dev";

const fixture = (name: string) => readFileSync(join(ROOT, "test", "fixtures", name), "utf8");

let stub: PlatformStub;
let dev: DevServer;
let token: string;

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("Content-Type", "application/json");
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetch(`${dev.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dev.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  stub = await startPlatformStub();
  dev = await startWranglerDev({
    vars: { TELEGRAM_API_BASE_URL: `${stub.url}/telegram`, WHATSAPP_API_BASE_URL: `${stub.url}/whatsapp/v21.0`, RATE_LIMITS_ENABLED: "false" },
  });
  const res = await call("/api/v1/auth/register", { method: "POST", json: { email: `e2e-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "E2E Coach" } });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await dev?.stop();
  await stub?.close();
});

describe("channels over wrangler dev", () => {
  it("a Telegram update gets exactly one correct reply, even when delivered three times; a blocked user is recorded", async () => {
    const botToken = "7001234567:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1";
    const created = await call("/api/v1/channels", { method: "POST", json: { channel_type: "telegram", channel_name: "Coach bot", configuration: { bot_token: botToken } } });
    expect(created.status).toBe(201);
    const channel = (await created.json()) as { id: string; status: string };
    expect(channel.status).toBe("active");
    const [hook] = stub.calls({ key: botToken, method: "setWebhook" });
    expect(hook!.body.url).toMatch(new RegExp(`/webhooks/telegram/${channel.id}$`));

    const update = fixture("telegram/text-message.json");
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${dev.url}/webhooks/telegram/${channel.id}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": hook!.body.secret_token },
        body: update,
      });
      expect(res.status).toBe(200);
    }
    const bad = await fetch(`${dev.url}/api/v1/channels/telegram/webhook`, { method: "POST", headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "wrong" }, body: update });
    expect(bad.status).toBe(401);

    const [reply] = await eventually(() => { const c = stub.calls({ key: botToken, method: "sendMessage" }); return c.length ? c : undefined; }, "the Telegram reply");
    expect(reply!.body.chat_id).toBe("521930114");
    expect(typeof reply!.body.text).toBe("string");
    expect(reply!.body.text.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2500));
    expect(stub.calls({ key: botToken, method: "sendMessage" })).toHaveLength(1);

    // A user who blocked the bot: Telegram answers 403, the send is not retried, and the user is
    // marked unreachable (a creator's message to them is refused with 409).
    stub.script(botToken, "sendMessage", [{ status: 403, body: JSON.parse(fixture("telegram/sendMessage-403-blocked.json")) }]);
    const blockedUpdate = JSON.parse(update);
    blockedUpdate.update_id += 1000;
    blockedUpdate.message.chat.id = blockedUpdate.message.from.id = 777000111;
    await fetch(`${dev.url}/webhooks/telegram/${channel.id}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": hook!.body.secret_token },
      body: JSON.stringify(blockedUpdate),
    });
    await eventually(() => stub.calls({ key: botToken, method: "sendMessage" }).length === 2, "the refused send");
    const refused = await eventually(async () => {
      const res = await call(`/api/v1/channels/${channel.id}/messages`, { method: "POST", json: { to: "777000111", text: "Hello?" } });
      return res.status === 409 ? res : undefined;
    }, "the user marked unreachable");
    expect(refused.status).toBe(409);
    await new Promise((r) => setTimeout(r, 2500));
    expect(stub.calls({ key: botToken, method: "sendMessage" })).toHaveLength(2);
  });

  it("a signed WhatsApp notification gets exactly one reply; a 429 is retried and still answered once", async () => {
    const phoneNumberId = "106540352242922";
    const appSecret = "3f1c9a7e5b2d4c6e8a0b1c2d3e4f5a6b";
    const created = await call("/api/v1/channels", {
      method: "POST",
      json: { channel_type: "whatsapp", channel_name: "WhatsApp Business", configuration: { phone_number: "+15550783881", phone_number_id: phoneNumberId, business_account_id: "102290129340398", access_token: "EAAGm0PX4ZCpsBAKZCZAtestaccesstoken", app_secret: appSecret, webhook_verify_token: "e2e-verify-token" } },
    });
    const channel = (await created.json()) as { id: string; status: string };
    expect(channel.status).toBe("pending_verification");
    const verify = await fetch(`${dev.url}/api/v1/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=e2e-verify-token&hub.challenge=8812`);
    expect(await verify.text()).toBe("8812");

    // The Graph API throttles the first send once.
    stub.script(phoneNumberId, "messages", [{ status: 429, body: { error: { message: "(#130429) Rate limit hit", code: 130429 } } }]);
    const raw = fixture("whatsapp/text-message.json");
    const signature = `sha256=${createHmac("sha256", appSecret).update(raw).digest("hex")}`;
    const res = await fetch(`${dev.url}/api/v1/channels/whatsapp/webhook`, { method: "POST", headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature }, body: raw });
    expect(res.status).toBe(200);
    const forged = await fetch(`${dev.url}/api/v1/channels/whatsapp/webhook`, { method: "POST", headers: { "Content-Type": "application/json", "X-Hub-Signature-256": `sha256=${"a".repeat(64)}` }, body: raw });
    expect(forged.status).toBe(401);

    const sends = await eventually(() => { const c = stub.calls({ key: phoneNumberId, method: "messages" }); return c.length >= 2 ? c : undefined; }, "the WhatsApp reply after a retry", 60_000);
    expect(sends[1]!.body).toMatchObject({ messaging_product: "whatsapp", to: "16505551234", type: "text" });
    expect(sends[1]!.headers.authorization).toBe("Bearer EAAGm0PX4ZCpsBAKZCZAtestaccesstoken");
    await new Promise((r) => setTimeout(r, 2500));
    expect(stub.calls({ key: phoneNumberId, method: "messages" })).toHaveLength(2);
  });
});
