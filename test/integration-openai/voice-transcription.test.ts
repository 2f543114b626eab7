// The voice pipeline with an OpenAI-compatible server configured (this project sets AI_PROVIDERS=openai
// and OPENAI_BASE_URL to the local stand-in; chat answers stay on the local provider): a Telegram voice
// note or WhatsApp audio is transcribed inside the conversation object, the transcript becomes the
// message's text in the object and in D1, a `transcription` frame reaches the sockets, and the
// assistant answers the transcript.
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { conversationStub } from "../../src/realtime";
import { describe, expect, inject, it, vi } from "vitest";
import { api, createCreator } from "../helpers";
import { uploadOne } from "../files-helpers";
import { connectTelegram, connectWhatsApp, eventually, mediaBytes, postTelegram, postWhatsApp, sign, stubCalls, stubMedia, telegramUpdate, whatsappNotification } from "../channel-helpers";
import { chatSetup, connect } from "../realtime";
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

async function settled(channelId: string, n: number): Promise<Row[] | undefined> {
  const rows = await messagesOf(channelId);
  const out = rows.filter((m) => m.sender !== "user");
  return out.length >= n && out.every((m) => m.delivery_status !== "queued") ? rows : undefined;
}

const meta = (r: Row) => JSON.parse(r.metadata ?? "{}") as Record<string, any>;
const uniq = () => `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
const stubBase = () => inject("openaiStubUrl").replace(/\/v1$/, "");
async function transcriptionCalls(): Promise<{ path: string; body: any }[]> {
  const log = (await (await fetch(`${stubBase()}/__log`)).json()) as { path: string; body: any }[];
  return log.filter((l) => l.path === "/v1/audio/transcriptions");
}

describe("voice notes with speech to text (OpenAI-compatible stand-in)", () => {
  it("a Telegram voice note: transcribed, the transcript is the message's text (object and D1), and a transcription frame reaches the sockets", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    // A first message opens the conversation, so a member's socket can watch the voice note arrive.
    await postTelegram(telegramUpdate(940000001, { text: "Hi coach" }), ch.secret);
    const [first] = (await eventually(() => settled(ch.id, 1), "the first answer"))!;
    const agent = await connect(`/api/v1/conversations/${first!.conversation_id}/connect`, s.access_token);

    const fileId = `voice-${uniq()}`;
    await stubMedia("telegram", fileId, mediaBytes("ogg", "SPEECH:How many rest days should I take per week?", 6000), "application/octet-stream");
    await postTelegram(telegramUpdate(940000002, { text: undefined, voice: { file_id: fileId, file_unique_id: "v", duration: 4, mime_type: "audio/ogg", file_size: 6000 } }), ch.secret);

    const shown = await agent.next((f) => f.type === "message" && f.clientId === "in:940000002", { what: "the voice note", timeoutMs: 15_000 });
    expect(shown.text).toBe("");
    const heard = await agent.next("transcription", { timeoutMs: 15_000 });
    expect(heard).toMatchObject({ messageId: shown.id, seq: shown.seq, status: "transcribed", text: "How many rest days should I take per week?", language: "en", model: "whisper-1" });
    // A replay (resume) shows the message with its transcript.
    agent.send({ type: "resume", afterSeq: shown.seq - 1 });
    const replayed = await agent.next((f) => f.type === "message" && f.id === shown.id, { what: "the replayed voice note" });
    expect(replayed.text).toBe("How many rest days should I take per week?");
    agent.close();

    const voice = await eventually(async () => {
      const row = (await messagesOf(ch.id)).find((r) => r.id === shown.id);
      return row && meta(row).transcription ? row : undefined;
    }, "the transcript in D1");
    // In D1 too (the mirror had the message before the transcript: the outbox's revision updated it).
    expect(voice.text).toBe("How many rest days should I take per week?");
    const m = meta(voice);
    expect(m.attachments[0]).toMatchObject({ id: heard.fileId, content_type: "audio/ogg" });
    expect(m.transcription).toMatchObject({ status: "transcribed", file_id: heard.fileId, text: "How many rest days should I take per week?", model: "whisper-1" });
    // The audio itself went to /audio/transcriptions (multipart, with its name and type).
    const call = (await transcriptionCalls()).find((c) => c.body.filename === "voice-940000002.ogg");
    expect(call?.body).toMatchObject({ model: "whisper-1", type: "audio/ogg" });
  });

  it("the assistant answers a Telegram voice note's transcript, sent out through the channel", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const fileId = `voice-${uniq()}`;
    await stubMedia("telegram", fileId, mediaBytes("ogg", "SPEECH:Can I train every day?"), "audio/ogg");
    await postTelegram(telegramUpdate(940000003, { text: undefined, voice: { file_id: fileId, file_unique_id: "v", duration: 2, mime_type: "audio/ogg" } }), ch.secret);
    const rows = (await eventually(() => settled(ch.id, 1), "the answer"))!;
    expect(rows[0]).toMatchObject({ sender: "user", text: "Can I train every day?" });
    expect(rows[1]).toMatchObject({ sender: "ai", delivery_status: "sent" });
    expect(meta(rows[1]!).reply_to_seq).toBe(rows[0]!.seq);
    const [sent] = await stubCalls(ch.token, "sendMessage");
    expect(sent!.body.text).toBe(rows[1]!.text);
    // Nothing said the transcription was unavailable.
    expect(rows.some((r) => r.sender === "system")).toBe(false);
  });

  it("a WhatsApp voice note (audio, voice: true) is transcribed and answered", async () => {
    const s = await createCreator();
    const ch = await connectWhatsApp(s);
    const mediaId = `5${uniq()}`.slice(0, 16);
    await stubMedia("whatsapp", mediaId, mediaBytes("ogg", "SPEECH:What should I eat before a morning run?"), "audio/ogg; codecs=opus");
    const raw = JSON.stringify(
      whatsappNotification(image, ch.phoneNumberId, (v) => {
        const m = v.messages[0];
        delete m.image;
        Object.assign(m, { id: `wamid.V${uniq()}`, type: "audio", audio: { id: mediaId, mime_type: "audio/ogg; codecs=opus", voice: true } });
      }),
    );
    expect((await postWhatsApp(raw, await sign(ch.appSecret, raw))).status).toBe(200);
    const rows = (await eventually(() => settled(ch.id, 1), "the answer"))!;
    expect(rows[0]).toMatchObject({ sender: "user", text: "What should I eat before a morning run?" });
    expect(meta(rows[0]!).transcription.status).toBe("transcribed");
    expect(rows[1]).toMatchObject({ sender: "ai", delivery_status: "sent" });
  });

  it("a provider failure keeps the audio and says so in the conversation (no answer to words nobody heard)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const fileId = `bad-${uniq()}`;
    await stubMedia("telegram", fileId, mediaBytes("ogg", "SPEECH:FAIL_TRANSCRIPTION"), "audio/ogg");
    await postTelegram(telegramUpdate(940000010, { text: undefined, voice: { file_id: fileId, file_unique_id: "b", duration: 1, mime_type: "audio/ogg" } }), ch.secret);
    const rows = (await eventually(() => settled(ch.id, 1), "the notice"))!;
    expect(rows[0]!.text).toBe("");
    expect(meta(rows[0]!).transcription).toMatchObject({ status: "failed" });
    expect(meta(rows[0]!).attachments).toHaveLength(1);
    expect(rows[1]).toMatchObject({ sender: "system", delivery_status: "sent" });
    expect(rows[1]!.text).toMatch(/couldn't make out your voice message/i);
    expect(rows.some((r) => r.sender === "ai")).toBe(false);
  });

  it("a caption stays in front of the transcript (Telegram audio with a caption)", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const fileId = `cap-${uniq()}`;
    await stubMedia("telegram", fileId, mediaBytes("mp3", "SPEECH:is my squat depth fine"), "audio/mpeg");
    await postTelegram(telegramUpdate(940000011, { text: undefined, caption: "Coach, listen:", audio: { file_id: fileId, file_unique_id: "c", duration: 2, mime_type: "audio/mpeg", file_name: "squat.mp3" } }), ch.secret);
    const rows = (await eventually(() => settled(ch.id, 1), "the answer"))!;
    expect(rows[0]!.text).toBe("Coach, listen:\nis my squat depth fine");
    expect(meta(rows[0]!).caption).toBe("Coach, listen:");
    expect(rows[1]!.sender).toBe("ai");
  });
});

describe("widget voice notes with speech to text", () => {
  it("a recorded note uploaded by the visitor: the transcription frame, the transcript as the message's text, and the AI's answer", async () => {
    const { creator, session, tab } = await chatSetup();
    const note = await uploadOne(session.conversation_id, session.token, "voice-note.ogg", mediaBytes("ogg", "SPEECH:What should I eat after training?"), "audio/ogg");
    tab.send({ type: "message", id: "voice-1", text: "", attachments: [note.id] });
    const ack = await tab.next((f) => f.type === "ack" && f.id === "voice-1");
    const shown = await tab.next((f) => f.type === "message" && f.clientId === "voice-1");
    expect(shown).toMatchObject({ text: "", attachments: [expect.objectContaining({ id: note.id, contentType: "audio/ogg" })] });
    const heard = await tab.next("transcription", { timeoutMs: 15_000 });
    expect(heard).toMatchObject({ messageId: shown.id, seq: ack.seq, fileId: note.id, status: "transcribed", text: "What should I eat after training?" });
    const reply = await tab.aiReply();
    expect(reply.seq).toBeGreaterThan(ack.seq);
    const rows = await eventually(async () => {
      const res = await api(`/api/v1/conversations/${session.conversation_id}/messages`, { token: creator.access_token });
      const body = (await res.json()) as { messages: { seq: number; sender: string; text: string }[] };
      return body.messages.find((m) => m.seq === ack.seq && m.text) ? body.messages : undefined;
    }, "the transcript in D1");
    expect(rows.find((m) => m.seq === ack.seq)!.text).toBe("What should I eat after training?");
    tab.close();
  });
});

describe("a voice note cut off by an eviction", () => {
  it("is heard and answered when the object comes back (the durable hearing mark)", async () => {
    const { session, tab } = await chatSetup();
    const note = await uploadOne(session.conversation_id, session.token, "voice-note.ogg", mediaBytes("ogg", "SPEECH:Do I need a rest day?"), "audio/ogg");
    tab.close();
    const stub = conversationStub(env, session.conversation_id);
    // The state a crash leaves between storing the voice note and hearing it: the message in the
    // log with its attachment, the mark set, nothing heard or answered.
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      const meta = JSON.parse(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'state'").one().value);
      const seq = (sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM messages").one().s ?? 0) + 1;
      const attachments = [{ id: note.id, name: note.name, content_type: note.content_type, size: note.size, url: note.download_url }];
      sql.exec(
        "INSERT INTO messages (seq, id, client_id, sender, text, created_at, metadata) VALUES (?, ?, 'voice-crash', 'user', '', ?, ?)",
        seq,
        crypto.randomUUID(),
        new Date().toISOString(),
        JSON.stringify({ attachments }),
      );
      sql.exec("UPDATE meta SET value = ? WHERE key = 'state'", JSON.stringify({ ...meta, hearingFor: seq }));
    });
    await evictDurableObject(stub);
    // A tab connecting brings the object back: the note is heard and answered.
    const back = await connect(session.websocket_url, session.token);
    const heard = await back.next("transcription", { timeoutMs: 15_000 });
    expect(heard).toMatchObject({ status: "transcribed", text: "Do I need a rest day?", fileId: note.id });
    const reply = await back.aiReply();
    expect(reply.seq).toBeGreaterThan(heard.seq);
    back.close();
    // Once: a second connect finds nothing left to hear.
    const again = await connect(session.websocket_url, session.token);
    again.send({ type: "ping" });
    await again.next("pong");
    await new Promise((r) => setTimeout(r, 500));
    expect(again.frames.some((f) => f.type === "transcription")).toBe(false);
    again.close();
  });
});
