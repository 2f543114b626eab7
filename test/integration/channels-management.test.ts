import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { botToken, connectTelegram, connectWhatsApp, stubCalls, stubScript } from "../channel-helpers";

describe("POST /api/v1/channels", () => {
  it("connects a Telegram bot: getMe, setWebhook with a random secret_token and the channel's URL, status active", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s, { welcome_message: "Welcome to the coaching bot!" });
    expect(ch.body).toMatchObject({ channel_type: "telegram", channel_name: "Coach bot", status: "active", status_detail: null, user_count: 0 });
    expect(await stubCalls(ch.token, "getMe")).toHaveLength(1);
    const [hook] = await stubCalls(ch.token, "setWebhook");
    expect(hook!.body.url).toBe(`http://localhost:8787/webhooks/telegram/${ch.id}`);
    expect(hook!.body.secret_token).toMatch(/^[A-Za-z0-9_-]{32,256}$/);
    expect(hook!.body.allowed_updates).toEqual(expect.arrayContaining(["message", "edited_message", "my_chat_member"]));
    expect(ch.body.configuration).toMatchObject({ bot_token: `****${ch.token.slice(-4)}`, bot_username: expect.any(String), welcome_message: "Welcome to the coaching bot!", webhook_url: hook!.body.url });

    // A second bot gets a different secret.
    const other = await connectTelegram(s);
    expect(other.secret).not.toBe(ch.secret);
  });

  it("keeps secrets encrypted in D1 and never returns them", async () => {
    const s = await createCreator();
    const tg = await connectTelegram(s);
    const wa = await connectWhatsApp(s);
    const rows = await env.DB.prepare("SELECT * FROM channels WHERE creator_id = ?").bind(s.creator.id).all();
    const dump = JSON.stringify(rows.results);
    for (const secret of [tg.token, tg.secret, wa.accessToken, wa.appSecret, wa.verifyToken]) expect(dump).not.toContain(secret);
    for (const row of rows.results as { secrets: string }[]) expect(row.secrets).toMatch(/^v2\.[0-9a-f]{8}\.[\w-]+\.[\w-]+$/);

    const list = await api("/api/v1/channels", { token: s.access_token });
    const text = await list.text();
    for (const secret of [tg.token, tg.secret, wa.accessToken, wa.appSecret, wa.verifyToken]) expect(text).not.toContain(secret);
    const body = JSON.parse(text) as { channels: any[] };
    const whatsapp = body.channels.find((c) => c.channel_type === "whatsapp");
    expect(whatsapp.configuration).toMatchObject({
      access_token: `****${wa.accessToken.slice(-4)}`,
      app_secret: `****${wa.appSecret.slice(-4)}`,
      webhook_verify_token: `****${wa.verifyToken.slice(-4)}`,
      phone_number: "+15550783881",
      webhook_url: `http://localhost:8787/webhooks/whatsapp/${wa.id}`,
    });
  });

  it("starts WhatsApp channels in pending_verification", async () => {
    const s = await createCreator();
    const wa = await connectWhatsApp(s);
    expect(wa.body.status).toBe("pending_verification");
  });

  it("creates a web channel with its widget settings", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/channels", {
      method: "POST",
      token: s.access_token,
      json: { channel_type: "web", channel_name: "Website Widget", configuration: { widget_color: "#007bff", welcome_message: "Hello! How can I help you today?" } },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ channel_type: "web", status: "active", configuration: { widget_color: "#007bff" } });
  });

  it("records the Bot API's description when the token is refused (status error)", async () => {
    const s = await createCreator();
    const token = botToken();
    await stubScript(token, "getMe", [{ status: 401, body: { ok: false, error_code: 401, description: "Unauthorized" } }]);
    const res = await api("/api/v1/channels", { method: "POST", token: s.access_token, json: { channel_type: "telegram", channel_name: "Bad", configuration: { bot_token: token } } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: "error", status_detail: "Unauthorized" });
    expect(await stubCalls(token, "setWebhook")).toHaveLength(0);
  });

  it("records an unreachable Bot API as status error, without the token in the description", async () => {
    const s = await createCreator();
    const token = botToken();
    await stubScript(token, "getMe", [{ status: 0, body: null }]);
    const res = await api("/api/v1/channels", { method: "POST", token: s.access_token, json: { channel_type: "telegram", channel_name: "Offline", configuration: { bot_token: token } } });
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: "error", status_detail: expect.stringMatching(/^Telegram API unreachable/) });
    expect(JSON.stringify(body)).not.toContain(token);
  });

  it("records a setWebhook failure (status error)", async () => {
    const s = await createCreator();
    const token = botToken();
    await stubScript(token, "setWebhook", [{ status: 400, body: { ok: false, error_code: 400, description: "Bad Request: bad webhook: HTTPS url must be provided for webhook" } }]);
    const res = await api("/api/v1/channels", { method: "POST", token: s.access_token, json: { channel_type: "telegram", channel_name: "Bad", configuration: { bot_token: token } } });
    expect(await res.json()).toMatchObject({ status: "error", status_detail: "Bad Request: bad webhook: HTTPS url must be provided for webhook" });
  });

  it("refuses a bot or a number that is already connected (409)", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const tg = await connectTelegram(s);
    const res = await api("/api/v1/channels", { method: "POST", token: other.access_token, json: { channel_type: "telegram", channel_name: "Stolen", configuration: { bot_token: tg.token } } });
    expect(res.status).toBe(409);
    expect(await stubCalls(tg.token, "setWebhook")).toHaveLength(1);
    const wa = await connectWhatsApp(s);
    const again = await api("/api/v1/channels", {
      method: "POST",
      token: s.access_token,
      json: { channel_type: "whatsapp", channel_name: "Dup", configuration: { phone_number: "+15550783881", phone_number_id: wa.phoneNumberId, business_account_id: "102290129340398", access_token: "EAAGxxxxxxxxxxxxxxxxxxxxxxxx", app_secret: "0123456789abcdef0123", webhook_verify_token: "verify-token-1" } },
    });
    expect(again.status).toBe(409);
  });

  it.each([
    [{ channel_type: "telegram", channel_name: "x", configuration: { bot_token: "not-a-token" } }, "configuration.bot_token"],
    [{ channel_type: "telegram", channel_name: "x", configuration: { bot_token: "123:short" } }, "configuration.bot_token"],
    [{ channel_type: "telegram", channel_name: "x", configuration: {} }, "configuration.bot_token"],
    [{ channel_type: "whatsapp", channel_name: "x", configuration: { phone_number: "1234567890", phone_number_id: "106540352242922", business_account_id: "102290129340398", access_token: "EAAGxxxxxxxxxxxxxxxxxxxxxxxx", app_secret: "0123456789abcdef0123", webhook_verify_token: "verify-token-1" } }, "configuration.phone_number"],
    [{ channel_type: "whatsapp", channel_name: "x", configuration: { phone_number: "+15550783881", business_account_id: "102290129340398", access_token: "EAAGxxxxxxxxxxxxxxxxxxxxxxxx", app_secret: "0123456789abcdef0123", webhook_verify_token: "verify-token-1" } }, "configuration.phone_number_id"],
    [{ channel_type: "web", channel_name: "x", configuration: { widget_color: "blue" } }, "configuration.widget_color"],
    [{ channel_type: "sms", channel_name: "x", configuration: {} }, "channel_type"],
    [{ channel_type: "web", channel_name: "", configuration: {} }, "channel_name"],
  ])("rejects bad input with 422 naming the field (%#)", async (body, field) => {
    const s = await createCreator();
    const res = await api("/api/v1/channels", { method: "POST", token: s.access_token, json: body });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.details.map((d) => d.field)).toContain(field);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM channels WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("needs a token, and the write permission", async () => {
    expect((await api("/api/v1/channels")).status).toBe(401);
    expect((await api("/api/v1/channels", { method: "POST", json: { channel_type: "web", channel_name: "x" } })).status).toBe(401);
  });
});

describe("PUT /api/v1/channels/{channel_id}", () => {
  it("renames and reconfigures; a masked secret sent back keeps the secret", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const res = await api(`/api/v1/channels/${ch.id}`, {
      method: "PUT",
      token: s.access_token,
      json: { channel_name: "Renamed", configuration: { bot_token: ch.body.configuration.bot_token, welcome_message: "Hi there" } },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ channel_name: "Renamed", status: "active", configuration: { welcome_message: "Hi there", bot_token: `****${ch.token.slice(-4)}` } });
    expect(await stubCalls(ch.token, "setWebhook")).toHaveLength(1);
  });

  it("moves the webhook to a new bot token: old bot deleteWebhook, new bot setWebhook", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const next = botToken();
    const res = await api(`/api/v1/channels/${ch.id}`, { method: "PUT", token: s.access_token, json: { configuration: { bot_token: next } } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "active", configuration: { bot_token: `****${next.slice(-4)}` } });
    expect(await stubCalls(ch.token, "deleteWebhook")).toHaveLength(1);
    const [hook] = await stubCalls(next, "setWebhook");
    expect(hook!.body.secret_token).not.toBe(ch.secret);
  });

  it("refuses a new token whose bot is connected elsewhere, and changes nothing", async () => {
    const s = await createCreator();
    const mine = await connectTelegram(s);
    const theirs = await connectTelegram(await createCreator());
    const res = await api(`/api/v1/channels/${mine.id}`, { method: "PUT", token: s.access_token, json: { channel_name: "Hijack", configuration: { bot_token: theirs.token } } });
    expect(res.status).toBe(409);
    const after = (await (await api(`/api/v1/channels/${mine.id}`, { token: s.access_token })).json()) as any;
    expect(after).toMatchObject({ channel_name: "Coach bot", status: "active", configuration: { bot_token: `****${mine.token.slice(-4)}` } });
    expect(await stubCalls(theirs.token, "setWebhook")).toHaveLength(1);
    expect(await stubCalls(mine.token, "deleteWebhook")).toHaveLength(0);
  });

  it("pauses and resumes a channel; a paused channel acknowledges updates and drops them", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const paused = await api(`/api/v1/channels/${ch.id}`, { method: "PUT", token: s.access_token, json: { status: "inactive" } });
    expect(await paused.json()).toMatchObject({ status: "inactive" });
    const res = await api(`/webhooks/telegram/${ch.id}`, { method: "POST", headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": ch.secret }, body: JSON.stringify({ update_id: 1, message: { message_id: 1, chat: { id: 5, type: "private" }, date: 1, text: "hi" } }) });
    expect(await res.json()).toEqual({ ok: true, queued: 0 });
    const resumed = await api(`/api/v1/channels/${ch.id}`, { method: "PUT", token: s.access_token, json: { status: "active" } });
    expect(await resumed.json()).toMatchObject({ status: "active" });
    // Resuming re-registers the webhook with a fresh secret.
    expect(await stubCalls(ch.token, "setWebhook")).toHaveLength(2);
  });

  it("validates configuration against the channel's type", async () => {
    const s = await createCreator();
    const wa = await connectWhatsApp(s);
    const res = await api(`/api/v1/channels/${wa.id}`, { method: "PUT", token: s.access_token, json: { configuration: { phone_number: "555-1234" } } });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field)).toContain("configuration.phone_number");
    const bad = await api(`/api/v1/channels/${wa.id}`, { method: "PUT", token: s.access_token, json: { configuration: { bot_token: "1:x" } } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details.map((d) => d.field)).toEqual(["configuration"]);
    const unchanged = (await (await api(`/api/v1/channels/${wa.id}`, { token: s.access_token })).json()) as any;
    expect(unchanged.configuration.phone_number).toBe("+15550783881");
  });
});

describe("DELETE /api/v1/channels/{channel_id}", () => {
  it("disconnects a Telegram bot with deleteWebhook", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const res = await api(`/api/v1/channels/${ch.id}`, { method: "DELETE", token: s.access_token });
    expect(res.status).toBe(204);
    expect(await stubCalls(ch.token, "deleteWebhook")).toHaveLength(1);
    expect((await api(`/api/v1/channels/${ch.id}`, { token: s.access_token })).status).toBe(404);
  });
});

describe("OpenAPI document", () => {
  it("describes the channel routes and webhooks", async () => {
    const doc = (await (await api("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const path of ["/api/v1/channels", "/api/v1/channels/{channel_id}", "/api/v1/channels/{channel_id}/analytics", "/api/v1/channels/{channel_id}/messages", "/api/v1/channels/telegram/webhook", "/api/v1/channels/whatsapp/webhook", "/webhooks/telegram/{channel_id}", "/webhooks/whatsapp/{channel_id}"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.paths["/api/v1/channels/whatsapp/webhook"]!).sort()).toEqual(["get", "post"]);
  });
});

describe("channel tenancy", () => {
  it("hides one creator's channels from another (404, empty list)", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const ch = await connectTelegram(s);
    const list = (await (await api("/api/v1/channels", { token: other.access_token })).json()) as { channels: unknown[] };
    expect(list.channels).toEqual([]);
    for (const [method, path, json] of [
      ["GET", `/api/v1/channels/${ch.id}`, undefined],
      ["PUT", `/api/v1/channels/${ch.id}`, { channel_name: "mine now" }],
      ["DELETE", `/api/v1/channels/${ch.id}`, undefined],
      ["GET", `/api/v1/channels/${ch.id}/analytics`, undefined],
      ["POST", `/api/v1/channels/${ch.id}/messages`, { to: "521930114", text: "hello" }],
    ] as const) {
      const res = await api(path, { method, token: other.access_token, json });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const still = await api(`/api/v1/channels/${ch.id}`, { token: s.access_token });
    expect(await still.json()).toMatchObject({ channel_name: "Coach bot" });
    expect(await stubCalls(ch.token, "deleteWebhook")).toHaveLength(0);
  });
});
