// Issue 14 REST audio and images: POST /api/v1/run/ (text, audio, images, video), /api/v1/run/audio
// (spoken answer) and /api/core/messages/audio, over the OpenAI-compatible stand-in; media are the
// conversation's files.
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { call } from "../ai-helpers";
import { createCreator, errorOf } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";
import { NO_TRANSCRIPTION_NOTE, NO_VISION_NOTE, VIDEO_NOTE } from "../../src/modules/run/service";

const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...new TextEncoder().encode("ftypisom"), 0, 0, 2, 0, ...new TextEncoder().encode("isomiso2mp41"), ...new Uint8Array(64)]);
const voice = (said: string) => new TextEncoder().encode(`OggS\0\x02\0\0\0\0fake-opus SPEECH:${said}`);
/** Local answers and retrieval; audio through the OpenAI-compatible stand-in. */
const withAudio = () => ({ AI_PROVIDER: "local", AI_PROVIDERS: "openai", OPENAI_BASE_URL: inject("openaiStubUrl") });
const withVision = () => ({ AI_PROVIDER: "openai", OPENAI_BASE_URL: inject("openaiStubUrl"), OPENAI_CHAT_MODEL: "stub-chat", OPENAI_EMBEDDING_MODEL: "stub-embed", OPENAI_VISION_MODEL: "stub-vision", VECTOR_STORE: "d1" });

function form(parts: Record<string, string | File | File[]>) {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) for (const x of Array.isArray(v) ? v : [v]) f.append(k, x);
  return f;
}
const files = async (token: string, conversationId: string, vars: Record<string, string> = {}) =>
  ((await (await call(`/api/v1/conversations/${conversationId}/files`, { token }, vars)).json()) as any).files as any[];
const conversationCount = async (creatorId: string) => (await env.DB.prepare("SELECT count(*) AS n FROM conversations WHERE creator_id = ?").bind(creatorId).first<{ n: number }>())!.n;
const fileCount = async (creatorId: string) => (await env.DB.prepare("SELECT count(*) AS n FROM conversation_files WHERE creator_id = ?").bind(creatorId).first<{ n: number }>())!.n;

async function creatorWithSchedule() {
  const s = await createCreator();
  const kb = await createKb(s.access_token);
  await uploadAndWait(s.access_token, kb.id, "schedule.md", "# Schedule\n\nSpin classes run every Monday at 7pm in studio B.\n");
  return s;
}

describe("POST /api/v1/run/", () => {
  it("audio: stored as a conversation file, transcribed, and the transcript answered in the conversation", { timeout: 60_000 }, async () => {
    const s = await creatorWithSchedule();
    const res = await call("/api/v1/run/", { token: s.access_token, body: form({ audio: new File([voice("When do spin classes run?")], "note.ogg", { type: "audio/ogg" }) }) }, withAudio());
    expect(res.status).toBe(200);
    const r = (await res.json()) as any;
    expect(r.transcription).toBe("When do spin classes run?");
    expect(r.media).toEqual({ audio: "transcribed", images: null, video: null });
    expect(r.model_used).toBe("local-extractive");
    expect(r.response).toContain("Spin classes run every Monday at 7pm");
    expect(r.files).toHaveLength(1);
    expect(r.files[0]).toMatchObject({ name: "note.ogg", content_type: "audio/ogg", source: "api" });
    expect((await files(s.access_token, r.conversation_id)).map((f) => f.id)).toEqual([r.files[0].id]);
    // The transcript is the user's message; its attachment is the voice note; the answer follows.
    const msgs = await env.DB.prepare("SELECT sender, text, metadata FROM messages WHERE conversation_id = ? ORDER BY seq").bind(r.conversation_id).all<{ sender: string; text: string; metadata: string }>();
    expect(msgs.results.map((m) => [m.sender, m.text.slice(0, 25)])).toEqual([["user", "When do spin classes run?"], ["ai", r.response.slice(0, 25)]]);
    expect(JSON.parse(msgs.results[0]!.metadata)).toMatchObject({ transcription: { status: "transcribed", text: "When do spin classes run?" }, attachments: [{ id: r.files[0].id, content_type: "audio/ogg" }] });
    // Continues the same conversation when asked to (chat_id alias).
    const again = (await (await call("/api/v1/run", { token: s.access_token, body: form({ chat_id: r.conversation_id, message: "And where?" }) }, withAudio())).json()) as any;
    expect(again.conversation_id).toBe(r.conversation_id);
  });

  it("images: into the prompt of a vision model; without one stored and the answer says it can't look", async () => {
    const s = await createCreator();
    const seen = (await (await call("/api/v1/run/", { token: s.access_token, body: form({ message: "Is this meal plan balanced?", image: new File([PNG], "plan.png", { type: "image/png" }) }) }, withVision())).json()) as any;
    expect(seen.media.images).toBe("analysed");
    expect(seen.model_used).toBe("stub-vision");
    expect(seen.response).toBe("Stub stub-vision heard: Is this meal plan balanced? [saw 1 image(s): image/png]");
    expect(seen.files[0]).toMatchObject({ name: "plan.png", content_type: "image/png" });

    const blind = await call("/api/v1/run/", { token: s.access_token, body: form({ message: "Is this meal plan balanced?", images: new File([PNG], "plan.png", { type: "image/png" }) }) }, { AI_PROVIDER: "local" });
    expect(blind.status).toBe(200);
    const b = (await blind.json()) as any;
    expect(b.media.images).toBe("not_analysed");
    expect(b.response.startsWith(NO_VISION_NOTE)).toBe(true);
    expect(b.notices).toContain(NO_VISION_NOTE);
    expect((await files(s.access_token, b.conversation_id))[0].content_type).toBe("image/png");
  });

  it("video: stored, not analysed, and the response says so; local audio: kept, 'no transcription available'", async () => {
    const s = await createCreator();
    const v = (await (await call("/api/v1/run/", { token: s.access_token, body: form({ video: new File([MP4], "squat.mp4", { type: "video/mp4" }) }) }, { AI_PROVIDER: "local" })).json()) as any;
    expect(v.media.video).toBe("stored_not_analysed");
    expect(v.notices).toContain(VIDEO_NOTE);
    expect(v.response).toBe(VIDEO_NOTE);
    expect(v.files[0].content_type).toBe("video/mp4");
    const a = (await (await call("/api/v1/run/", { token: s.access_token, body: form({ audio: new File([voice("hello")], "n.ogg", { type: "audio/ogg" }) }) }, { AI_PROVIDER: "local" })).json()) as any;
    expect(a.media.audio).toBe("not_transcribed");
    expect(a.transcription).toBeNull();
    expect(a.response).toBe(NO_TRANSCRIPTION_NOTE);
    expect(a.notices[0]).toMatch(/AI_PROVIDERS/);
    expect(a.files).toHaveLength(1);
  });

  it("bad input changes nothing: wrong body type, non-audio audio, oversized audio, empty, another creator's conversation", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const theirs = (await (await call("/api/v1/run/", { token: other.access_token, body: form({ message: "hi" }) })).json()) as any;
    const before = [await conversationCount(s.creator.id), await fileCount(s.creator.id)];

    const json = await call("/api/v1/run/", { token: s.access_token, json: { message: "hi" } });
    expect(json.status).toBe(415);
    const notAudio = await call("/api/v1/run/", { token: s.access_token, body: form({ audio: new File(["just text"], "a.txt", { type: "text/plain" }) }) }, withAudio());
    expect(notAudio.status).toBe(415);
    const big = await call("/api/v1/run/", { token: s.access_token, body: form({ audio: new File([voice("x".repeat(3000))], "a.ogg", { type: "audio/ogg" }) }) }, { ...withAudio(), AI_AUDIO_MAX_BYTES: "2048" });
    expect(big.status).toBe(413);
    expect((await call("/api/v1/run/", { token: s.access_token, body: form({ message: "" }) })).status).toBe(422);
    const foreign = await call("/api/v1/run/", { token: s.access_token, body: form({ conversation_id: theirs.conversation_id, message: "hi", image: new File([PNG], "p.png", { type: "image/png" }) }) });
    expect(foreign.status).toBe(404);
    expect((await call("/api/v1/run/", { token: s.access_token, body: form({ conversation_id: "not-a-uuid", message: "hi" }) })).status).toBe(422);
    expect((await call("/api/v1/run/", { body: form({ message: "hi" }) })).status).toBe(401);
    expect([await conversationCount(s.creator.id), await fileCount(s.creator.id)]).toEqual(before);
    // The other creator's conversation got nothing either.
    expect(await fileCount(other.creator.id)).toBe(0);
  });
});

describe("POST /api/v1/run/audio", () => {
  it("answers with speech: the answer's text spoken by the provider, the transcript in a header", { timeout: 60_000 }, async () => {
    const s = await creatorWithSchedule();
    const res = await call("/api/v1/run/audio", { token: s.access_token, body: form({ audio: new File([voice("When do spin classes run?")], "q.ogg", { type: "audio/ogg" }) }) }, withAudio());
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("audio/mpeg");
    expect(decodeURIComponent(res.headers.get("X-Transcription")!)).toBe("When do spin classes run?");
    const said = decodeURIComponent(res.headers.get("X-Response-Text")!);
    expect(said).toContain("Spin classes run every Monday");
    const bytes = new TextDecoder().decode(await res.arrayBuffer());
    expect(bytes.startsWith("ID3")).toBe(true);
    expect(bytes).toContain(`SPEECH:${said}`);
    expect(res.headers.get("X-Conversation-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("with the local provider: 503 SERVICE_UNAVAILABLE naming the setting, nothing stored", async () => {
    const s = await createCreator();
    const before = await conversationCount(s.creator.id);
    const res = await call("/api/v1/run/audio", { token: s.access_token, body: form({ audio: new File([voice("hi")], "q.ogg", { type: "audio/ogg" }) }) }, { AI_PROVIDER: "local" });
    expect(res.status).toBe(503);
    const e = await errorOf(res);
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toMatch(/AI_PROVIDERS/);
    expect(e.details[0]!.field).toBe("AI_PROVIDERS");
    expect(await conversationCount(s.creator.id)).toBe(before);
  });
});

describe("POST /api/core/messages/audio", () => {
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

  it("transcribes, answers in the session's conversation, and gives the intent and entities", { timeout: 60_000 }, async () => {
    const s = await creatorWithSchedule();
    const res = await call("/api/core/messages/audio", { token: s.access_token, json: { audio: b64(voice("When do spin classes run? Monday 7pm?")), format: "ogg", channel: "whatsapp", userId: "user123", metadata: { language: "en" } } }, withAudio());
    expect(res.status).toBe(200);
    const r = (await res.json()) as any;
    expect(r.transcription).toBe("When do spin classes run? Monday 7pm?");
    expect(r.response.type).toBe("text");
    expect(r.response.text).toContain("Spin classes run every Monday");
    expect(r.context).toMatchObject({ intent: "scheduling" });
    expect(r.context.entities).toEqual(expect.arrayContaining(["monday", "7pm"]));
    const log = (await (await fetch(`${inject("openaiStubUrl").replace(/\/v1$/, "")}/__log`)).json()) as any[];
    expect(log.findLast((l) => l.path === "/v1/audio/transcriptions").body).toMatchObject({ language: "en", type: "audio/ogg" });
    const next = (await (await call("/api/core/messages/audio", { token: s.access_token, json: { audio: b64(voice("thanks")), format: "ogg", sessionId: r.sessionId } }, withAudio())).json()) as any;
    expect(next.sessionId).toBe(r.sessionId);
    expect((await files(s.access_token, r.sessionId)).length).toBe(2);
  });

  it("refuses another creator's session, bad base64, a bad format, oversized audio; local is a 503 naming the setting", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const theirs = (await (await call("/api/core/messages/audio", { token: other.access_token, json: { audio: b64(voice("mine")), format: "ogg" } }, withAudio())).json()) as any;
    const foreign = await call("/api/core/messages/audio", { token: s.access_token, json: { audio: b64(voice("hi")), format: "ogg", sessionId: theirs.sessionId } }, withAudio());
    expect(foreign.status).toBe(404);
    expect((await files(other.access_token, theirs.sessionId)).length).toBe(1);
    expect((await call("/api/core/messages/audio", { token: s.access_token, json: { audio: "***", format: "ogg" } }, withAudio())).status).toBe(422);
    expect((await call("/api/core/messages/audio", { token: s.access_token, json: { audio: b64(voice("hi")), format: "exe" } }, withAudio())).status).toBe(422);
    expect((await call("/api/core/messages/audio", { token: s.access_token, json: { audio: b64(voice("x".repeat(3000))), format: "ogg" } }, { ...withAudio(), AI_AUDIO_MAX_BYTES: "2048" })).status).toBe(413);
    const local = await call("/api/core/messages/audio", { token: s.access_token, json: { audio: b64(voice("hi")), format: "ogg" } }, { AI_PROVIDER: "local" });
    expect(local.status).toBe(503);
    expect((await errorOf(local)).message).toMatch(/AI_PROVIDERS/);
    expect(await conversationCount(s.creator.id)).toBe(0);
  });
});
