// A widget voice note with the local provider (no speech to text): the recording is uploaded as a
// conversation file and sent as a message's attachment; the object keeps it, a `transcription` frame
// says no transcription is available (naming the setting), the conversation says so honestly, and
// nothing pretends (no AI answer, no invented text). test/integration-openai/ has the transcribed path.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventually, mediaBytes } from "../channel-helpers";
import { api } from "../helpers";
import { uploadOne } from "../files-helpers";
import { chatSetup } from "../realtime";

describe("widget voice notes (local provider)", () => {
  it("keeps the recording, sends an 'unavailable' transcription frame and an honest notice, and no AI answer", async () => {
    const { creator, session, tab } = await chatSetup();
    const note = await uploadOne(session.conversation_id, session.token, "voice-note.webm", mediaBytes("ogg", "SPEECH:hello there"), "audio/ogg");
    tab.send({ type: "message", id: "voice-1", text: "", attachments: [note.id] });
    const ack = await tab.next((f) => f.type === "ack" && f.id === "voice-1");
    const heard = await tab.next("transcription");
    expect(heard).toMatchObject({ seq: ack.seq, fileId: note.id, status: "unavailable" });
    expect(heard.text).toBeUndefined();
    expect(heard.message).toMatch(/AI_PROVIDERS/);
    const notice = await tab.next((f) => f.type === "message" && f.sender === "system");
    expect(notice.text).toMatch(/can't listen to voice messages/i);

    const rows = await eventually(async () => {
      const res = await api(`/api/v1/conversations/${session.conversation_id}/messages`, { token: creator.access_token });
      const body = (await res.json()) as { messages: { seq: number; sender: string; text: string; attachments: { id: string }[]; transcription: unknown }[] };
      return body.messages.length >= 2 ? body.messages : undefined;
    }, "the mirrored messages");
    expect(rows.map((m) => [m.sender, m.text])).toEqual([["user", ""], ["system", notice.text]]);
    expect(rows[0]!.attachments.map((a) => a.id)).toEqual([note.id]);
    expect(rows[0]!.transcription).toMatchObject({ status: "unavailable", file_id: note.id, message: expect.stringMatching(/AI_PROVIDERS/) });
    expect(rows[1]!.transcription).toBeNull();
    const meta = await env.DB.prepare("SELECT metadata FROM messages WHERE conversation_id = ? AND seq = ?").bind(session.conversation_id, ack.seq).first<{ metadata: string }>();
    expect(JSON.parse(meta!.metadata).transcription).toMatchObject({ status: "unavailable", setting: "AI_PROVIDERS", file_id: note.id });
    // Nothing from the AI.
    expect(tab.frames.some((f) => f.type === "ai_delta" || (f.type === "message" && f.sender === "ai"))).toBe(false);
    tab.close();
  });

  it("a photo without words is kept and gets no transcription frame and no answer", async () => {
    const { session, tab } = await chatSetup();
    const photo = await uploadOne(session.conversation_id, session.token);
    tab.send({ type: "message", id: "photo-1", attachments: [photo.id] });
    await tab.next((f) => f.type === "ack" && f.id === "photo-1");
    tab.send({ type: "ping" });
    await tab.next("pong");
    await new Promise((r) => setTimeout(r, 300));
    expect(tab.frames.some((f) => f.type === "transcription" || f.type === "ai_delta")).toBe(false);
    tab.close();
  });
});
