// Inbound Telegram and WhatsApp media (issue 14): fetched from the platform stand-in, stored as
// conversation files, carried by the message as attachments with the caption as its text; fetch
// failures and oversized media keep the message and say so. The local provider has no speech to
// text: a voice note is kept and the conversation says so (test/integration-openai/ has the transcripts).
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { createCreator } from "../helpers";
import {
  connectTelegram,
  connectWhatsApp,
  eventually,
  mediaBytes,
  postTelegram,
  postWhatsApp,
  sign,
  stubCalls,
  stubMedia,
  stubScript,
  telegramUpdate,
  whatsappNotification,
  type TelegramChannel,
  type WhatsAppChannel,
} from "../channel-helpers";
import { processInbound } from "../../src/modules/channels/inbound-jobs";
import { transcribeAttachments } from "../../src/modules/voice";
import voice from "../fixtures/telegram/voice-message.json";
import image from "../fixtures/whatsapp/image-message.json";

vi.setConfig({ testTimeout: 30_000 });

interface Row {
  id: string;
  sender: string;
  text: string;
  seq: number;
  delivery_status: string | null;
  metadata: string | null;
  conversation_id: string;
}

async function messagesOf(channelId: string): Promise<Row[]> {
  const rows = await env.DB.prepare("SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel_id = ? ORDER BY m.seq").bind(channelId).all<Row>();
  return rows.results;
}

/** The messages once `n` outbound ones exist and none is still queued. */
async function settled(channelId: string, n: number): Promise<Row[] | undefined> {
  const rows = await messagesOf(channelId);
  const out = rows.filter((m) => m.sender !== "user");
  return out.length >= n && out.every((m) => m.delivery_status !== "queued") ? rows : undefined;
}

const meta = (r: Row) => JSON.parse(r.metadata ?? "{}") as Record<string, any>;

async function fileRow(id: string) {
  return env.DB.prepare("SELECT * FROM conversation_files WHERE id = ?").bind(id).first<{ id: string; creator_id: string; conversation_id: string; end_user_id: string; content_type: string; size_bytes: number; source: string; name: string; r2_key: string }>();
}

async function storedBytes(key: string) {
  const obj = await env.FILES.get(key);
  return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
}

const uniq = () => `${Date.now()}${Math.floor(Math.random() * 1e6)}`;

async function deliverWhatsApp(ch: WhatsAppChannel, patch: (m: any) => void) {
  const raw = JSON.stringify(whatsappNotification(image, ch.phoneNumberId, (v) => patch(v.messages[0])));
  return postWhatsApp(raw, await sign(ch.appSecret, raw));
}

describe("Telegram media in", () => {
  it("stores a photo (the largest size) as a conversation file and answers its caption; the message carries the attachment", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const small = `small-${uniq()}`;
    const large = `large-${uniq()}`;
    const bytes = mediaBytes("jpeg", "", 4096);
    await stubMedia("telegram", small, mediaBytes("jpeg", "", 300), "application/octet-stream");
    await stubMedia("telegram", large, bytes, "application/octet-stream");
    const update = telegramUpdate(930000001, {
      text: undefined,
      caption: "How many rest days should I take per week?",
      photo: [
        { file_id: small, file_unique_id: "s1", width: 90, height: 90, file_size: 300 },
        { file_id: large, file_unique_id: "l1", width: 1280, height: 960, file_size: 4096 },
      ],
    });
    expect((await postTelegram(update, ch.secret)).status).toBe(200);
    const rows = (await eventually(() => settled(ch.id, 1), "the answer"))!;
    const [user, reply] = rows;
    expect(user).toMatchObject({ sender: "user", text: "How many rest days should I take per week?" });
    expect(user!.text).not.toMatch(/\[photo\]/);
    const [attachment] = meta(user!).attachments;
    expect(attachment).toMatchObject({ name: "photo-930000001.jpg", content_type: "image/jpeg", size: 4096, url: `/api/v1/conversations/${user!.conversation_id}/files/${attachment.id}` });
    const file = (await fileRow(attachment.id))!;
    expect(file).toMatchObject({ creator_id: s.creator.id, conversation_id: user!.conversation_id, source: "telegram", content_type: "image/jpeg", size_bytes: 4096 });
    expect(file.end_user_id).toBeTruthy();
    expect(file.r2_key.startsWith(`creators/${s.creator.id}/conversations/${user!.conversation_id}/files/`)).toBe(true);
    expect(await storedBytes(file.r2_key)).toEqual(bytes);
    // The largest size was fetched, through getFile and the file download URL.
    const getFile = await stubCalls(ch.token, "getFile");
    expect(getFile.map((c) => c.body.file_id)).toEqual([large]);
    expect(await stubCalls(ch.token, "download")).toHaveLength(1);
    // The caption is answered like any message (by the AI, sent out through the channel).
    expect(reply).toMatchObject({ sender: "ai", delivery_status: "sent" });
  });

  it("stores a document without a caption and asks, honestly, what the user wants to know", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const id = `doc-${uniq()}`;
    await stubMedia("telegram", id, mediaBytes("pdf", "%%EOF"), "application/pdf");
    await postTelegram(telegramUpdate(930000002, { text: undefined, document: { file_id: id, file_unique_id: "d1", file_name: "blood-test.pdf", mime_type: "application/pdf", file_size: 2048 } }), ch.secret);
    const rows = (await eventually(() => settled(ch.id, 1), "the notice"))!;
    expect(rows[0]).toMatchObject({ sender: "user", text: "" });
    expect(meta(rows[0]!).attachments[0]).toMatchObject({ name: "blood-test.pdf", content_type: "application/pdf" });
    expect(rows[1]).toMatchObject({ sender: "system", delivery_status: "sent" });
    expect(rows[1]!.text).toMatch(/kept your document.*only read text/i);
    expect(rows).toHaveLength(2);
  });

  it("keeps a voice note (the fixture) as audio/ogg; with the local provider the conversation says no transcription is available", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await stubMedia("telegram", voice.message.voice.file_id, mediaBytes("ogg", "SPEECH:How many rest days do I need?", voice.message.voice.file_size), "application/octet-stream");
    await postTelegram({ ...voice, update_id: voice.update_id + Math.floor(Math.random() * 1e6) }, ch.secret);
    const rows = (await eventually(() => settled(ch.id, 1), "the notice"))!;
    const [user, notice] = rows;
    expect(user).toMatchObject({ sender: "user", text: "" });
    const m = meta(user!);
    expect(m.attachments[0]).toMatchObject({ content_type: "audio/ogg", size: voice.message.voice.file_size, name: "voice-4022.ogg" });
    expect(m.transcription).toMatchObject({ status: "unavailable", file_id: m.attachments[0].id, setting: "AI_PROVIDERS" });
    expect(m.transcription.text).toBeUndefined();
    expect(notice).toMatchObject({ sender: "system", delivery_status: "sent" });
    expect(notice!.text).toMatch(/can't listen to voice messages/i);
    const [sent] = await stubCalls(ch.token, "sendMessage");
    expect(sent!.body.text).toBe(notice!.text);
    // Nothing pretends: no AI reply to a message nobody heard.
    expect(rows.filter((r) => r.sender === "ai")).toEqual([]);
    expect(await storedBytes((await fileRow(m.attachments[0].id))!.r2_key)).not.toBeNull();
  });

  it("stores an audio file and a video (stored, not analysed)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const audio = `audio-${uniq()}`;
    const video = `video-${uniq()}`;
    await stubMedia("telegram", audio, mediaBytes("mp3"), "audio/mpeg");
    await stubMedia("telegram", video, mediaBytes("mp4"), "video/mp4");
    await postTelegram(telegramUpdate(930000003, { text: undefined, audio: { file_id: audio, file_unique_id: "a1", duration: 3, mime_type: "audio/mpeg", file_name: "squat-cues.mp3" } }), ch.secret);
    await postTelegram(telegramUpdate(930000004, { text: undefined, video: { file_id: video, file_unique_id: "v1", duration: 5, width: 640, height: 480, mime_type: "video/mp4" } }), ch.secret);
    const rows = (await eventually(() => settled(ch.id, 2), "two notices"))!;
    const users = rows.filter((r) => r.sender === "user");
    expect(users.map((u) => meta(u).attachments[0].content_type).sort()).toEqual(["audio/mpeg", "video/mp4"]);
    const audioMsg = users.find((u) => meta(u).attachments[0].content_type === "audio/mpeg")!;
    expect(meta(audioMsg).transcription.status).toBe("unavailable");
    const notices = rows.filter((r) => r.sender === "system").map((r) => r.text);
    expect(notices.some((t) => /can't listen/i.test(t))).toBe(true);
    expect(notices.some((t) => /kept your video/i.test(t))).toBe(true);
  });

  it("refuses oversized media by its declared size without downloading it; the message says what couldn't be fetched", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const id = `huge-${uniq()}`;
    await postTelegram(telegramUpdate(930000005, { text: undefined, caption: "my form video", video: { file_id: id, file_unique_id: "h1", duration: 600, mime_type: "video/mp4", file_size: 48_000_000 } }), ch.secret);
    const rows = (await eventually(() => settled(ch.id, 1), "the notice"))!;
    expect(rows[0]!.text).toBe("my form video\n(The video could not be fetched from Telegram: it is 46 MB, over the 20 MB limit.)");
    expect(meta(rows[0]!).attachments).toBeUndefined();
    expect(meta(rows[0]!).media_error).toMatch(/over the 20 MB limit/);
    expect(rows[1]!.text).toMatch(/didn't come through/i);
    expect(await stubCalls(ch.token, "getFile")).toEqual([]);
    const files = await env.DB.prepare("SELECT count(*) AS n FROM conversation_files WHERE conversation_id = ?").bind(rows[0]!.conversation_id).first<{ n: number }>();
    expect(files!.n).toBe(0);
  });

  it("retries a transient fetch failure through the inbound job and then stores the file", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const id = `flaky-${uniq()}`;
    await stubMedia("telegram", id, mediaBytes("jpeg"), "image/jpeg");
    await stubScript(ch.token, "getFile", [{ status: 502, body: { ok: false, error_code: 502, description: "Bad Gateway" } }]);
    await postTelegram(telegramUpdate(930000006, { text: undefined, caption: "Is this breakfast OK?", photo: [{ file_id: id, file_unique_id: "f1", width: 10, height: 10 }] }), ch.secret);
    const rows = (await eventually(() => settled(ch.id, 1), "the answer after a retry"))!;
    expect(meta(rows[0]!).attachments[0]).toMatchObject({ content_type: "image/jpeg" });
    expect(rows[0]!.text).toBe("Is this breakfast OK?");
    expect(await stubCalls(ch.token, "getFile")).toHaveLength(2);
    expect(rows.filter((r) => r.sender === "user")).toHaveLength(1);
  });

  it("keeps the message on the last attempt of a transient failure, and a permanent one (unknown file) at once", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    // The queue's last delivery of the job (attempt = CHANNEL_SEND_MAX_ATTEMPTS): the message is kept.
    const id = `down-${uniq()}`;
    await stubScript(ch.token, "getFile", [{ status: 0, body: null }]);
    const update = telegramUpdate(930000007, { text: undefined, voice: { file_id: id, file_unique_id: "x", duration: 2, mime_type: "audio/ogg" } });
    const { telegramEvents } = await import("../../src/modules/channels/telegram");
    const [keyed] = telegramEvents(update as never);
    await processInbound(env, { creatorId: s.creator.id, channelId: ch.id, eventKey: keyed!.key, event: keyed!.event }, 6);
    let rows = (await eventually(() => settled(ch.id, 1), "the notice"))!;
    expect(rows[0]!.text).toMatch(/^\(The voice note could not be fetched from Telegram: Telegram API unreachable.*after 6 attempts\.\)$/);
    expect(rows[0]!.text).not.toContain(ch.token);

    // A file Telegram doesn't know (400): permanent, kept at once.
    await postTelegram(telegramUpdate(930000008, { text: undefined, document: { file_id: `gone-${uniq()}`, file_unique_id: "g", file_name: "plan.pdf" } }), ch.secret);
    rows = (await eventually(() => settled(ch.id, 2), "the second notice"))!;
    const second = rows.filter((r) => r.sender === "user")[1]!;
    expect(second.text).toMatch(/^\(The document could not be fetched from Telegram: Telegram getFile answered 400 \(Bad Request: invalid file_id\)\.\)$/);
  });
});

describe("WhatsApp media in", () => {
  it("fetches the image fixture through the Graph API (media id → URL → bytes, with the access token) and answers its caption", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const mediaId = `1${uniq()}`.slice(0, 16);
    const bytes = mediaBytes("jpeg", "", 5000);
    await stubMedia("whatsapp", mediaId, bytes, "image/jpeg");
    const res = await deliverWhatsApp(ch, (m) => Object.assign(m, { id: `wamid.IMG${uniq()}`, image: { ...m.image, id: mediaId } }));
    expect(res.status).toBe(200);
    const rows = (await eventually(() => settled(ch.id, 1), "the answer"))!;
    expect(rows[0]).toMatchObject({ sender: "user", text: "my breakfast" });
    const [a] = meta(rows[0]!).attachments;
    expect(a).toMatchObject({ content_type: "image/jpeg", size: 5000 });
    const file = (await fileRow(a.id))!;
    expect(file.source).toBe("whatsapp");
    expect(await storedBytes(file.r2_key)).toEqual(bytes);
    const [info] = await stubCalls(mediaId, "media_info");
    const [download] = await stubCalls(mediaId, "media_download");
    expect(info!.headers.authorization).toBe(`Bearer ${ch.accessToken}`);
    expect(download!.headers.authorization).toBe(`Bearer ${ch.accessToken}`);
    expect(rows[1]).toMatchObject({ sender: "ai", delivery_status: "sent" });
  });

  it("stores a document and a voice note (audio, voice: true); the voice note is kept untranscribed with the local provider", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const doc = `2${uniq()}`.slice(0, 16);
    const audio = `3${uniq()}`.slice(0, 16);
    await stubMedia("whatsapp", doc, mediaBytes("pdf"), "application/pdf");
    await stubMedia("whatsapp", audio, mediaBytes("ogg", "SPEECH:hello"), "audio/ogg; codecs=opus");
    await deliverWhatsApp(ch, (m) => {
      delete m.image;
      Object.assign(m, { id: `wamid.DOC${uniq()}`, type: "document", document: { id: doc, filename: "meal-plan.pdf", mime_type: "application/pdf", caption: "Can you check my meal plan?" } });
    });
    await deliverWhatsApp(ch, (m) => {
      delete m.image;
      Object.assign(m, { id: `wamid.AUD${uniq()}`, type: "audio", audio: { id: audio, mime_type: "audio/ogg; codecs=opus", voice: true } });
    });
    const rows = (await eventually(() => settled(ch.id, 2), "answers"))!;
    const users = rows.filter((r) => r.sender === "user");
    const docMsg = users.find((u) => meta(u).attachments?.[0]?.name === "meal-plan.pdf")!;
    expect(docMsg.text).toBe("Can you check my meal plan?");
    const voiceMsg = users.find((u) => meta(u).attachments?.[0]?.content_type === "audio/ogg")!;
    expect(voiceMsg.text).toBe("");
    expect(meta(voiceMsg).attachments[0].name).toMatch(/^voice-.*\.ogg$/);
    expect(meta(voiceMsg).transcription.status).toBe("unavailable");
    expect(rows.some((r) => r.sender === "system" && /can't listen/i.test(r.text))).toBe(true);
  });

  it("refuses oversized media by the size the Graph API declares, before downloading", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const mediaId = `4${uniq()}`.slice(0, 16);
    await stubScript(mediaId, "media_info", [{ status: 200, body: { messaging_product: "whatsapp", url: `${env.PLATFORM_STUB_URL}/whatsapp/download/${mediaId}`, mime_type: "video/mp4", file_size: 64_000_000, id: mediaId } }]);
    await deliverWhatsApp(ch, (m) => {
      delete m.image;
      Object.assign(m, { id: `wamid.BIG${uniq()}`, type: "video", video: { id: mediaId, mime_type: "video/mp4" } });
    });
    const rows = (await eventually(() => settled(ch.id, 1), "the notice"))!;
    expect(rows[0]!.text).toBe("(The video could not be fetched from WhatsApp: it is 61 MB, over the 20 MB limit.)");
    expect(await stubCalls(mediaId, "media_download")).toEqual([]);
  });
});

describe("the transcribe port", () => {
  it("never reads another conversation's file, even when a message names it", async () => {
    const a = await createCreator();
    const b = await createCreator();
    const chA = await connectTelegram(a);
    const chB = await connectTelegram(b);
    const id = `va-${uniq()}`;
    await stubMedia("telegram", id, mediaBytes("ogg", "SPEECH:secret words"), "audio/ogg");
    await postTelegram(telegramUpdate(930000020, { text: undefined, voice: { file_id: id, file_unique_id: "va", duration: 1, mime_type: "audio/ogg" } }), chA.secret);
    const [voiceA] = (await eventually(() => settled(chA.id, 1), "A's voice note"))!;
    const attachment = meta(voiceA!).attachments[0];
    await postTelegram(telegramUpdate(930000021, { text: "hi" }), chB.secret);
    const [msgB] = (await eventually(() => settled(chB.id, 1), "B's conversation"))!;
    // Creator B's conversation naming A's file, and A's file under B's creator id: not found either way.
    expect(await transcribeAttachments(env, { creatorId: b.creator.id, conversationId: msgB!.conversation_id, attachments: [attachment] })).toMatchObject({ status: "failed", message: "The recording is no longer there" });
    expect(await transcribeAttachments(env, { creatorId: b.creator.id, conversationId: voiceA!.conversation_id, attachments: [attachment] })).toMatchObject({ status: "failed" });
    // Its own conversation: found, but the local provider has no speech to text.
    expect(await transcribeAttachments(env, { creatorId: a.creator.id, conversationId: voiceA!.conversation_id, attachments: [attachment] })).toMatchObject({ status: "unavailable", setting: "AI_PROVIDERS" });
    // Not audio: nothing to hear.
    expect(await transcribeAttachments(env, { creatorId: a.creator.id, conversationId: voiceA!.conversation_id, attachments: [{ ...attachment, content_type: "image/png" }] })).toBeNull();
  });
});
