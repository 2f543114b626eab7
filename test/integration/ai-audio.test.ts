// src/ai/audio.ts against the OpenAI-compatible stand-in (multipart /audio/transcriptions, /audio/speech)
// and a Workers AI binding stand-in with the documented Whisper / MeloTTS shapes; local answers "unavailable".
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { synthesizeSpeech, transcribeAudio } from "../../src/ai/audio";
import { AppError } from "../../src/lib/errors";

const stubRoot = () => inject("openaiStubUrl").replace(/\/v1$/, "");
const openaiEnv = () => ({ ...env, AI_PROVIDER: "openai", OPENAI_BASE_URL: inject("openaiStubUrl"), OPENAI_API_KEY: "sk-test" });
const voice = (said: string) => new TextEncoder().encode(`OggS\0\0\0fake-opus SPEECH:${said}`);

/** The Workers AI binding: Whisper takes base64 audio, MeloTTS returns base64 MP3 (workers-types' AiModels). */
function workersAi(calls: { model: string; input: any }[]): Ai {
  return {
    async run(model: string, input: any) {
      calls.push({ model, input });
      if (model.includes("whisper")) {
        if (typeof input.audio !== "string") throw new Error("audio must be base64");
        const heard = /SPEECH:(.*)$/.exec(atob(input.audio))?.[1] ?? "";
        return { text: ` ${heard}`, transcription_info: { language: "en", duration: 1.2 } };
      }
      if (model.includes("melotts")) return { audio: btoa(`ID3SPEECH:${input.prompt}`) };
      throw new Error(`unexpected model ${model}`);
    },
  } as unknown as Ai;
}

describe("transcribeAudio", () => {
  it("OpenAI-compatible: posts the audio as multipart and returns the server's transcript", async () => {
    const r = await transcribeAudio(openaiEnv(), { bytes: voice("Can I move my session to Friday?"), contentType: "audio/ogg; codecs=opus", filename: "voice.ogg", language: "en" });
    expect(r).toEqual({ available: true, text: "Can I move my session to Friday?", language: "en", model: "whisper-1", provider: "openai" });
    const log = (await (await fetch(`${stubRoot()}/__log`)).json()) as { path: string; body: any }[];
    const call = log.findLast((l) => l.path === "/v1/audio/transcriptions")!.body;
    expect(call).toMatchObject({ model: "whisper-1", filename: "voice.ogg", type: "audio/ogg", language: "en", auth: "Bearer sk-test" });
  });

  it("a different recording gives a different transcript (the stand-in really reads the bytes)", async () => {
    const a = await transcribeAudio(openaiEnv(), { bytes: new Uint8Array([1, 2, 3, 4]), contentType: "audio/webm" });
    const b = await transcribeAudio(openaiEnv(), { bytes: new Uint8Array([9, 9, 9]), contentType: "audio/webm" });
    expect(a.available && b.available).toBe(true);
    if (a.available && b.available) expect(a.text).not.toBe(b.text);
  });

  it("Workers AI: Whisper gets base64 audio; the transcript is trimmed and the language reported", async () => {
    const calls: { model: string; input: any }[] = [];
    const r = await transcribeAudio({ ...env, AI_PROVIDER: "workers-ai", AI: workersAi(calls) }, { bytes: voice("Hola, quiero entrenar"), contentType: "audio/mpeg" });
    expect(r).toEqual({ available: true, text: "Hola, quiero entrenar", language: "en", model: "@cf/openai/whisper-large-v3-turbo", provider: "workers-ai" });
    expect(calls[0]!.model).toBe("@cf/openai/whisper-large-v3-turbo");
  });

  it("local provider: unavailable, naming the setting to change", async () => {
    const r = await transcribeAudio({ ...env, AI_PROVIDER: "local" }, { bytes: voice("hello"), contentType: "audio/ogg" });
    expect(r.available).toBe(false);
    if (!r.available) {
      expect(r.setting).toBe("AI_PROVIDERS");
      expect(r.message).toMatch(/AI_PROVIDERS/);
    }
  });

  it("local chat with openai listed in AI_PROVIDERS: audio goes to openai", async () => {
    const r = await transcribeAudio({ ...openaiEnv(), AI_PROVIDER: "local", AI_PROVIDERS: "openai" }, { bytes: voice("mixed setup"), contentType: "audio/ogg" });
    expect(r).toMatchObject({ available: true, text: "mixed setup", provider: "openai" });
  });

  it("rejects empty, oversized and non-audio input before calling any provider", async () => {
    const e = { ...openaiEnv(), AI_AUDIO_MAX_BYTES: "2048" };
    await expect(transcribeAudio(e, { bytes: new Uint8Array(4096), contentType: "audio/ogg" })).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413 });
    await expect(transcribeAudio(e, { bytes: voice("x"), contentType: "text/plain" })).rejects.toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", status: 415 });
    await expect(transcribeAudio(e, { bytes: new Uint8Array(0), contentType: "audio/ogg" })).rejects.toBeInstanceOf(AppError);
  });

  it("a failing server is a ProviderError, not a transcript", async () => {
    await expect(transcribeAudio(openaiEnv(), { bytes: voice("FAIL_TRANSCRIPTION"), contentType: "audio/ogg" })).rejects.toThrow(/answered 500/);
  });
});

describe("synthesizeSpeech", () => {
  it("OpenAI-compatible: /audio/speech returns MP3 bytes of the text", async () => {
    const r = await synthesizeSpeech(openaiEnv(), { text: "Your session is on Friday." });
    expect(r.available).toBe(true);
    if (r.available) {
      expect(r.contentType).toBe("audio/mpeg");
      expect(r.model).toBe("tts-1");
      expect(new TextDecoder().decode(r.bytes)).toContain("SPEECH:Your session is on Friday.|voice=alloy");
    }
  });

  it("Workers AI: MeloTTS's base64 audio is decoded", async () => {
    const calls: { model: string; input: any }[] = [];
    const r = await synthesizeSpeech({ ...env, AI_PROVIDER: "workers-ai", AI: workersAi(calls) }, { text: "Bonjour", language: "fr" });
    expect(r.available && new TextDecoder().decode(r.bytes)).toBe("ID3SPEECH:Bonjour");
    expect(calls[0]).toEqual({ model: "@cf/myshell-ai/melotts", input: { prompt: "Bonjour", lang: "fr" } });
  });

  it("local: unavailable; empty or overlong text is a validation error", async () => {
    expect((await synthesizeSpeech({ ...env, AI_PROVIDER: "local" }, { text: "hi" })).available).toBe(false);
    await expect(synthesizeSpeech(openaiEnv(), { text: "  " })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await expect(synthesizeSpeech(openaiEnv(), { text: "a".repeat(5000) })).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });
});
