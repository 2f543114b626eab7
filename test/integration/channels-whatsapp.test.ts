import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { connectWhatsApp, eventually, postWhatsApp, sign, stubCalls, stubScript, whatsappNotification, type WhatsAppChannel } from "../channel-helpers";
import image from "../fixtures/whatsapp/image-message.json";
import outsideWindow from "../fixtures/whatsapp/send-outside-window.json";
import delivered from "../fixtures/whatsapp/status-delivered.json";
import text from "../fixtures/whatsapp/text-message.json";

const sends = (ch: WhatsAppChannel) => stubCalls(ch.phoneNumberId, "messages");

// Each test waits for real queue deliveries (the consumer's batch timeout is a second).
vi.setConfig({ testTimeout: 30_000 });

async function messagesOf(channelId: string) {
  const rows = await env.DB.prepare("SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel_id = ? ORDER BY m.seq").bind(channelId).all<any>();
  return rows.results;
}

async function settled(channelId: string, expected: number) {
  const out = (await messagesOf(channelId)).filter((m) => m.sender !== "user");
  return out.length >= expected && out.every((m) => m.delivery_status !== "queued") ? out : undefined;
}

async function deliver(ch: WhatsAppChannel, fixture: unknown, patch?: (v: any) => void, path?: string) {
  const raw = JSON.stringify(whatsappNotification(fixture, ch.phoneNumberId, patch));
  return postWhatsApp(raw, await sign(ch.appSecret, raw), path);
}

describe("GET /api/v1/channels/whatsapp/webhook (Meta verification)", () => {
  it("echoes hub.challenge for the right verify token and activates the channel", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const q = new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": ch.verifyToken, "hub.challenge": "1158201444" });
    const res = await api(`/api/v1/channels/whatsapp/webhook?${q}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("1158201444");
    const after = await api(`/api/v1/channels/${ch.id}`, { token: s.access_token });
    expect(await after.json()).toMatchObject({ status: "active" });
  });

  it("verifies on the per-channel path too", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const q = new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": ch.verifyToken, "hub.challenge": "42" });
    const res = await api(`/webhooks/whatsapp/${ch.id}?${q}`);
    expect(await res.text()).toBe("42");
  });

  it.each([
    ["a wrong token", { "hub.mode": "subscribe", "hub.verify_token": "wrong-token", "hub.challenge": "1" }],
    ["no token", { "hub.mode": "subscribe", "hub.challenge": "1" }],
    ["a wrong mode", { "hub.mode": "unsubscribe", "hub.verify_token": "__TOKEN__", "hub.challenge": "1" }],
  ])("answers 403 for %s and stays pending", async (_name, params) => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const q = new URLSearchParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v === "__TOKEN__" ? ch.verifyToken : v])));
    const res = await api(`/api/v1/channels/whatsapp/webhook?${q}`);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain("1\n");
    const after = await api(`/api/v1/channels/${ch.id}`, { token: s.access_token });
    expect(await after.json()).toMatchObject({ status: "pending_verification" });
  });

  it("does not verify one channel with another channel's token on the per-channel path", async () => {
    const s = await createCreator();
    const a = await connectWhatsApp(s);
    const b = await connectWhatsApp(s);
    const q = new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": b.verifyToken, "hub.challenge": "1" });
    expect((await api(`/webhooks/whatsapp/${a.id}?${q}`)).status).toBe(403);
  });
});

describe("POST /api/v1/channels/whatsapp/webhook", () => {
  it("answers the signed text fixture once through the Graph API", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const res = await deliver(ch, text);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, queued: 1 });
    const [send] = await eventually(async () => { const c = await sends(ch); return c.length ? c : undefined; }, "reply");
    expect(send!.headers.authorization).toBe(`Bearer ${ch.accessToken}`);
    expect(send!.body).toMatchObject({ messaging_product: "whatsapp", to: "16505551234", type: "text", text: { body: expect.any(String) } });
    const [reply] = await eventually(() => settled(ch.id, 1), "delivery recorded");
    expect(reply).toMatchObject({ sender: "ai", delivery_status: "sent" });
    const user = await env.DB.prepare("SELECT * FROM end_users WHERE creator_id = ? AND channel = 'whatsapp'").bind(s.creator.id).first<any>();
    expect(user).toMatchObject({ external_id: "+16505551234", display_name: "Daniel Reyes" });

    // A second delivery of the same notification is not answered again.
    expect((await deliver(ch, text)).status).toBe(200);
    await eventually(() => settled(ch.id, 1), "settled");
    expect(await sends(ch)).toHaveLength(1);
  });

  it("records delivery statuses on the message they are about", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    await deliver(ch, text);
    const [reply] = await eventually(() => settled(ch.id, 1), "reply");
    const wamid = JSON.parse(reply.metadata).external_message_ids[0];
    const res = await deliver(ch, delivered, (v) => (v.statuses[0].id = wamid));
    expect(res.status).toBe(200);
    await eventually(async () => ((await settled(ch.id, 1))?.[0]?.delivery_status === "delivered" ? true : undefined), "delivered");
    // A late "sent" doesn't move it backwards; "read" moves it forward.
    await deliver(ch, delivered, (v) => Object.assign(v.statuses[0], { id: wamid, status: "sent" }));
    await deliver(ch, delivered, (v) => Object.assign(v.statuses[0], { id: wamid, status: "read" }));
    await eventually(async () => ((await settled(ch.id, 1))?.[0]?.delivery_status === "read" ? true : undefined), "read");
    expect(await sends(ch)).toHaveLength(1);
  });

  it("answers a location with the text-only notice (images, documents and audio are stored: channel-media.test.ts)", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    await deliver(ch, image, (v) => {
      const m = v.messages[0];
      delete m.image;
      Object.assign(m, { id: `wamid.LOC${Date.now()}`, type: "location", location: { latitude: 52.52, longitude: 13.4 } });
    });
    const [notice] = await eventually(() => settled(ch.id, 1), "notice");
    expect(notice).toMatchObject({ sender: "system", delivery_status: "sent" });
    expect(notice.text).toMatch(/only read text/i);
    const [user] = await messagesOf(ch.id);
    expect(user.text).toBe("[location]");
  });

  it("treats a quick-reply button as text and answers it with the AI", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    await deliver(ch, text, (v) => {
      v.messages[0].type = "interactive";
      delete v.messages[0].text;
      v.messages[0].interactive = { type: "button_reply", button_reply: { id: "plan-a", title: "Show me plan A" } };
    });
    const [reply] = await eventually(() => settled(ch.id, 1), "reply");
    expect(reply.sender).toBe("ai");
    expect((await messagesOf(ch.id))[0].text).toBe("Show me plan A");
  });

  it("records 131047 (outside the 24-hour window) as a permanent failure, never retried", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    await stubScript(ch.phoneNumberId, "messages", [{ status: 400, body: outsideWindow }]);
    await deliver(ch, text);
    const [reply] = await eventually(() => settled(ch.id, 1), "failure recorded");
    expect(reply.delivery_status).toBe("failed");
    expect(JSON.parse(reply.metadata)).toMatchObject({ delivery_failure: "outside_service_window", delivery_error: expect.stringContaining("131047") });
    expect(await sends(ch)).toHaveLength(1);
  });

  it("accepts the per-channel path /webhooks/whatsapp/{channel_id}", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    expect((await deliver(ch, text, undefined, `/webhooks/whatsapp/${ch.id}`)).status).toBe(200);
    await eventually(() => settled(ch.id, 1), "reply");
  });

  it("rejects a wrong, missing or foreign signature with 401 and stores nothing", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const other = await connectWhatsApp(s);
    const raw = JSON.stringify(whatsappNotification(text, ch.phoneNumberId));
    const attempts = [
      await postWhatsApp(raw, undefined),
      await postWhatsApp(raw, "sha256=" + "0".repeat(64)),
      await postWhatsApp(raw, "not-a-signature"),
      await postWhatsApp(raw, await sign(other.appSecret, raw)),
      // Signed bytes must be the bytes sent: a re-serialised body does not match.
      await postWhatsApp(JSON.stringify(JSON.parse(raw), null, 2), await sign(ch.appSecret, raw)),
      await postWhatsApp(raw, await sign(ch.appSecret, raw), `/webhooks/whatsapp/${other.id}`),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe("AUTHENTICATION_REQUIRED");
    }
    const events = await env.DB.prepare("SELECT count(*) AS n FROM channel_events WHERE channel_id IN (?, ?)").bind(ch.id, other.id).first<{ n: number }>();
    expect(events!.n).toBe(0);
    expect(await messagesOf(ch.id)).toEqual([]);
  });

  it("rejects a signed body that is not a WhatsApp notification (422) and unparseable JSON (400)", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const raw = JSON.stringify({ object: "page", entry: [] });
    expect((await postWhatsApp(raw, await sign(ch.appSecret, raw), `/webhooks/whatsapp/${ch.id}`)).status).toBe(422);
    expect((await postWhatsApp("{oops", await sign(ch.appSecret, "{oops"))).status).toBe(400);
  });
});

describe("POST /api/v1/channels/{channel_id}/messages (WhatsApp)", () => {
  it("sends inside the 24-hour window and refuses outside it (422)", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    await api(`/webhooks/whatsapp/${ch.id}?${new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": ch.verifyToken, "hub.challenge": "x" })}`);
    await deliver(ch, text);
    await eventually(() => settled(ch.id, 1), "reply");
    const ok = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "16505551234", type: "text", text: "Your plan is ready!", messageId: "msg-1" } });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ status: "queued", messageId: "msg-1", text: "Your plan is ready!", sender: "agent" });
    await eventually(() => settled(ch.id, 2), "sent");

    await env.DB.prepare("UPDATE messages SET created_at = '2020-01-01T00:00:00.000Z' WHERE sender = 'user' AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = ?)").bind(ch.id).run();
    const late = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "+16505551234", text: "Still there?" } });
    expect(late.status).toBe(422);
    expect((await errorOf(late)).details[0]!.field).toBe("to");
    expect((await messagesOf(ch.id)).length).toBe(3);
  });
});
