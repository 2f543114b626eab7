// Outbound media (issue 14): a message with attachments goes out through the channel's media API —
// Telegram sendPhoto/sendDocument/sendVoice/sendAudio as multipart, WhatsApp an upload to
// /{phone-number-id}/media then an image/document/audio message — seen by the platform stand-in.
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { connectTelegram, connectWhatsApp, eventually, mediaBytes, postTelegram, postWhatsApp, sign, stubCalls, stubScript, telegramUpdate, waText, whatsappNotification } from "../channel-helpers";
import { storeConversationFile } from "../../src/modules/files";

vi.setConfig({ testTimeout: 30_000 });

async function sha256(bytes: Uint8Array) {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function conversationOf(channelId: string) {
  return eventually(
    () => env.DB.prepare("SELECT id, end_user_id FROM conversations WHERE channel_id = ?").bind(channelId).first<{ id: string; end_user_id: string }>().then((r) => r ?? undefined),
    "the conversation",
  );
}

async function sentMessage(channelId: string, id: string) {
  return eventually(async () => {
    const row = await env.DB.prepare("SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel_id = ? AND m.id = ?").bind(channelId, id).first<any>();
    return row && row.delivery_status !== "queued" ? row : undefined;
  }, "the send");
}

describe("POST /api/v1/channels/{id}/messages with attachments (Telegram)", () => {
  it("sends a document with the text as its caption (multipart sendDocument, the file's own bytes)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(telegramUpdate(950000001, { text: "Can you send me the plan?" }), ch.secret);
    const conv = await conversationOf(ch.id);
    await eventually(async () => ((await stubCalls(ch.token, "sendMessage")).length ? true : undefined), "the AI answer");
    const bytes = mediaBytes("pdf", "%%EOF", 3000);
    const file = await storeConversationFile(env, { creatorId: s.creator.id, conversationId: conv.id, name: "training-plan.pdf", contentType: "application/pdf", bytes, source: "upload", uploadedBy: s.creator.id });

    const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text: "Here is your plan", attachments: [file.id] } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body.attachments).toEqual([{ id: file.id, name: "training-plan.pdf", content_type: "application/pdf", size: 3000, url: file.download_url }]);
    const row = await sentMessage(ch.id, body.message_id);
    expect(row.delivery_status).toBe("sent");
    const [doc] = await stubCalls(ch.token, "sendDocument");
    expect(doc!.body).toMatchObject({ chat_id: "521930114", caption: "Here is your plan" });
    expect(doc!.body.document).toMatchObject({ name: "training-plan.pdf", type: "application/pdf", size: 3000, sha256: await sha256(bytes) });
    // The text went as the caption, not as a second message.
    expect((await stubCalls(ch.token, "sendMessage")).map((c) => c.body.text)).not.toContain("Here is your plan");
    expect(JSON.parse(row.metadata).external_message_ids).toHaveLength(1);
  });

  it("sends a photo, a voice note and an audio file by their kind; a text too long for a caption goes first", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(telegramUpdate(950000002, { text: "hello" }), ch.secret);
    const conv = await conversationOf(ch.id);
    const store = (name: string, kind: "jpeg" | "ogg" | "mp3") =>
      storeConversationFile(env, { creatorId: s.creator.id, conversationId: conv.id, name, bytes: mediaBytes(kind), source: "upload", uploadedBy: s.creator.id });
    const photo = await store("form.jpg", "jpeg");
    const voice = await store("note.ogg", "ogg");
    const audio = await store("cues.mp3", "mp3");
    const long = "Squat cues. ".repeat(120).trim();
    const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text: long, attachments: [photo.id, voice.id, audio.id] } });
    expect(res.status).toBe(202);
    const row = await sentMessage(ch.id, ((await res.json()) as any).message_id);
    expect(row.delivery_status).toBe("sent");
    const calls = (await stubCalls(ch.token)).filter((c) => c.method !== "getMe" && c.method !== "setWebhook");
    const ours = calls.slice(calls.findIndex((c) => c.method === "sendMessage" && c.body.text === long));
    expect(ours.map((c) => c.method)).toEqual(["sendMessage", "sendPhoto", "sendVoice", "sendAudio"]);
    expect(ours[1]!.body.photo).toMatchObject({ name: "form.jpg", type: "image/jpeg" });
    expect(ours[1]!.body.caption).toBeUndefined();
    expect(ours[2]!.body.voice).toMatchObject({ name: "note.ogg", type: "audio/ogg" });
    expect(ours[3]!.body.audio).toMatchObject({ name: "cues.mp3", type: "audio/mpeg" });
    expect(JSON.parse(row.metadata)).toMatchObject({ parts_sent: 4, parts: 4 });
  });

  it("retries a media send the platform throttles, resuming after the parts that went out", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(telegramUpdate(950000003, { text: "hello" }), ch.secret);
    const conv = await conversationOf(ch.id);
    const photo = await storeConversationFile(env, { creatorId: s.creator.id, conversationId: conv.id, name: "a.jpg", bytes: mediaBytes("jpeg"), source: "upload" });
    await stubScript(ch.token, "sendPhoto", [{ status: 429, body: { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } } }]);
    const res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "521930114", text: "x".repeat(1500), attachments: [photo.id] } });
    const row = await sentMessage(ch.id, ((await res.json()) as any).message_id);
    expect(row.delivery_status).toBe("sent");
    expect(await stubCalls(ch.token, "sendPhoto")).toHaveLength(2);
    // The text part went once, before the throttled photo, and was not repeated.
    expect((await stubCalls(ch.token, "sendMessage")).filter((c) => c.body.text === "x".repeat(1500))).toHaveLength(1);
  });

  it("refuses attachments that are not files of this end user's conversation (another conversation's, another creator's, unknown)", async () => {
    const a = await createCreator();
    const b = await createCreator();
    const chA = await connectTelegram(a);
    const chB = await connectTelegram(b);
    await postTelegram(telegramUpdate(950000010, { text: "hi" }, 600000001), chA.secret);
    await postTelegram(telegramUpdate(950000011, { text: "hi" }, 600000002), chA.secret);
    await postTelegram(telegramUpdate(950000012, { text: "hi" }, 600000003), chB.secret);
    const convs = await eventually(async () => {
      const rows = await env.DB.prepare("SELECT c.id, u.external_id FROM conversations c JOIN end_users u ON u.id = c.end_user_id WHERE c.channel_id IN (?, ?)").bind(chA.id, chB.id).all<{ id: string; external_id: string }>();
      return rows.results.length === 3 ? Object.fromEntries(rows.results.map((r) => [r.external_id, r.id])) : undefined;
    }, "three conversations");
    const other = await storeConversationFile(env, { creatorId: a.creator.id, conversationId: convs["600000002"]!, name: "other.pdf", bytes: mediaBytes("pdf"), source: "upload" });
    const foreign = await storeConversationFile(env, { creatorId: b.creator.id, conversationId: convs["600000003"]!, name: "theirs.pdf", bytes: mediaBytes("pdf"), source: "upload" });
    for (const id of [other.id, foreign.id, crypto.randomUUID()]) {
      const res = await api(`/api/v1/channels/${chA.id}/messages`, { method: "POST", token: a.access_token, json: { to: "600000001", text: "see attached", attachments: [id] } });
      expect(res.status).toBe(422);
      expect((await errorOf(res)).details).toEqual([{ field: "attachments", message: `${id} is not a file of this conversation` }]);
    }
    const bad = await api(`/api/v1/channels/${chA.id}/messages`, { method: "POST", token: a.access_token, json: { to: "600000001", attachments: ["not-a-uuid"] } });
    expect(bad.status).toBe(422);
    // Nothing was stored or sent for the refused requests.
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND sender = 'agent'").bind(convs["600000001"]).first<{ n: number }>();
    expect(stored!.n).toBe(0);
    expect(await stubCalls(chA.token, "sendDocument")).toEqual([]);
  });
});

describe("POST /api/v1/channels/{id}/messages with attachments (WhatsApp)", () => {
  it("uploads each file to /media and sends image and audio messages naming the media id (audio takes no caption: the text goes first)", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    await api(`/webhooks/whatsapp/${ch.id}?${new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": ch.verifyToken, "hub.challenge": "x" })}`);
    const raw = JSON.stringify(whatsappNotification(waText, ch.phoneNumberId, (v) => (v.messages[0].id = `wamid.OUT${Date.now()}`)));
    await postWhatsApp(raw, await sign(ch.appSecret, raw));
    const conv = await conversationOf(ch.id);
    await eventually(async () => ((await stubCalls(ch.phoneNumberId, "messages")).length ? true : undefined), "the AI answer");
    const image = await storeConversationFile(env, { creatorId: s.creator.id, conversationId: conv.id, name: "meal.jpg", bytes: mediaBytes("jpeg", "", 4000), source: "upload" });
    const audio = await storeConversationFile(env, { creatorId: s.creator.id, conversationId: conv.id, name: "note.ogg", bytes: mediaBytes("ogg"), source: "upload" });

    let res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "16505551234", text: "Your meal plan", attachments: [image.id] } });
    expect(res.status).toBe(202);
    expect((await sentMessage(ch.id, ((await res.json()) as any).message_id)).delivery_status).toBe("sent");
    res = await api(`/api/v1/channels/${ch.id}/messages`, { method: "POST", token: s.access_token, json: { to: "16505551234", text: "Listen to this", attachments: [audio.id] } });
    expect((await sentMessage(ch.id, ((await res.json()) as any).message_id)).delivery_status).toBe("sent");

    const uploads = await stubCalls(ch.phoneNumberId, "media");
    expect(uploads.map((u) => [u.body.messaging_product, u.body.type, u.body.file.name])).toEqual([["whatsapp", "image/jpeg", "meal.jpg"], ["whatsapp", "audio/ogg", "note.ogg"]]);
    expect(uploads[0]!.headers.authorization).toBe(`Bearer ${ch.accessToken}`);
    const sends = (await stubCalls(ch.phoneNumberId, "messages")).slice(1);
    expect(sends.map((m) => m.body.type)).toEqual(["image", "text", "audio"]);
    expect(sends[0]!.body).toMatchObject({ messaging_product: "whatsapp", to: "16505551234", image: { caption: "Your meal plan" } });
    expect(sends[0]!.body.image.id).toMatch(/^\d+$/);
    expect(sends[1]!.body.text.body).toBe("Listen to this");
    expect(sends[2]!.body.audio).toEqual({ id: expect.stringMatching(/^\d+$/) });
  });
});
