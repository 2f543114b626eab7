// Speech to text and text to speech through whichever configured provider can do it (issue 14 "Voice"):
// the OpenAI-compatible /audio/transcriptions (multipart) and /audio/speech, Workers AI's Whisper and
// MeloTTS. The local provider has neither: callers get a typed "unavailable" naming the setting to change.
import { config } from "../config";
import type { Env } from "../env";
import { AppError } from "../lib/errors";
import { ProviderError } from "./providers/openai";
import { recordAiCall } from "../modules/metrics/record";

export interface AudioInput {
  bytes: Uint8Array | ArrayBuffer;
  /** The upload's type, e.g. audio/ogg (Telegram voice), audio/webm (MediaRecorder), audio/mpeg. */
  contentType: string;
  filename?: string;
  /** ISO-639-1 hint; the model detects the language otherwise. */
  language?: string;
}

export interface Transcript {
  available: true;
  text: string;
  language?: string;
  model: string;
  provider: "openai" | "workers-ai";
}

/** No configured provider can do it: `setting` is what the operator changes, `message` says so in words. */
export interface AudioUnavailable {
  available: false;
  setting: string;
  message: string;
}

export interface SpeechInput {
  text: string;
  voice?: string;
  /** ISO-639-1, for Workers AI's MeloTTS (en, es, fr, zh, ja, ko). */
  language?: string;
}

export interface Speech {
  available: true;
  bytes: Uint8Array;
  contentType: string;
  model: string;
  provider: "openai" | "workers-ai";
}

/** Types a recorder or a messaging platform gives audio (MediaRecorder labels WebM as video/webm in some browsers). */
export function isAudioType(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type.startsWith("audio/") || type === "application/ogg" || type === "video/webm" || type === "video/mp4";
}

/** Longest text sent to a text-to-speech model (OpenAI's /audio/speech limit). */
export const SPEECH_MAX_CHARS = 4096;

type AudioProvider = "openai" | "workers-ai";

/** The first configured provider with audio, the default chat provider first (AI_PROVIDER, then AI_PROVIDERS). */
export function audioProvider(env: Env): AudioProvider | undefined {
  const cfg = config(env);
  for (const name of cfg.ai.providers) {
    if (name === "openai" && cfg.ai.openai.audio) return "openai";
    if (name === "workers-ai") return "workers-ai";
  }
  return undefined;
}

function unavailable(env: Env, what: string): AudioUnavailable {
  const cfg = config(env);
  const openaiOff = cfg.ai.providers.includes("openai") && !cfg.ai.openai.audio;
  return {
    available: false,
    setting: openaiOff ? "OPENAI_AUDIO" : "AI_PROVIDERS",
    message: openaiOff
      ? `No ${what} is available: OPENAI_AUDIO=false and no other configured provider has audio. Set OPENAI_AUDIO=true (a server with /audio endpoints) or add workers-ai to AI_PROVIDERS.`
      : `No ${what} is available with AI_PROVIDER=${cfg.aiProvider}: add workers-ai or openai to AI_PROVIDERS (or set AI_PROVIDER to one of them).`,
  };
}

function toBytes(b: Uint8Array | ArrayBuffer): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function extensionFor(contentType: string): string {
  const t = contentType.split(";")[0]!.trim().toLowerCase();
  const known: Record<string, string> = {
    "audio/ogg": "ogg", "application/ogg": "ogg", "audio/opus": "ogg", "audio/webm": "webm", "video/webm": "webm",
    "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mp4": "m4a", "audio/m4a": "m4a", "audio/x-m4a": "m4a", "video/mp4": "mp4",
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/flac": "flac", "audio/x-flac": "flac",
  };
  return known[t] ?? "bin";
}

/** Checks size and type: the errors callers pass on (413, 415) before any provider is called. */
export function checkAudio(env: Env, input: AudioInput): Uint8Array {
  const bytes = toBytes(input.bytes);
  const max = config(env).ai.audioMaxBytes;
  if (bytes.byteLength === 0) throw new AppError("VALIDATION_ERROR", "The audio is empty", [{ field: "audio", message: "no bytes" }]);
  if (bytes.byteLength > max) throw new AppError("PAYLOAD_TOO_LARGE", `Audio is larger than ${max} bytes (AI_AUDIO_MAX_BYTES)`);
  if (!isAudioType(input.contentType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `${input.contentType || "(no type)"} is not audio`);
  return bytes;
}

/**
 * Audio to text. Throws AppError for bad input (empty, too large, not audio) and ProviderError when the
 * provider fails; a configuration without audio is a value, not an error (the caller keeps the audio).
 */
export async function transcribeAudio(env: Env, input: AudioInput): Promise<Transcript | AudioUnavailable> {
  const bytes = checkAudio(env, input);
  const provider = audioProvider(env);
  if (!provider) return unavailable(env, "speech to text");
  const cfg = config(env).ai;
  const started = performance.now();
  let ok = false;
  try {
    let result: Transcript;
    if (provider === "openai") {
      const form = new FormData();
      const type = input.contentType.split(";")[0]!.trim() || "application/octet-stream";
      const name = input.filename || `audio.${extensionFor(type)}`;
      form.append("file", new File([bytes], name, { type }));
      form.append("model", cfg.openai.transcriptionModel);
      form.append("response_format", "json");
      if (input.language) form.append("language", input.language);
      const res = await fetch(`${cfg.openai.baseUrl}/audio/transcriptions`, {
        method: "POST",
        headers: cfg.openai.apiKey ? { Authorization: `Bearer ${cfg.openai.apiKey}` } : {},
        body: form,
      });
      if (!res.ok) throw new ProviderError(`/audio/transcriptions answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const body = (await res.json()) as { text?: string; language?: string };
      if (typeof body.text !== "string") throw new ProviderError("/audio/transcriptions answered without text");
      result = { available: true, text: body.text.trim(), language: body.language, model: cfg.openai.transcriptionModel, provider };
    } else {
      if (!env.AI) return { available: false, setting: "AI binding", message: "workers-ai needs the AI binding ([env.production] ai in wrangler.toml)" };
      const ai = env.AI as unknown as { run(model: string, input: unknown): Promise<unknown> };
      const out = (await ai.run(cfg.workersAi.transcriptionModel, {
        audio: base64(bytes),
        ...(input.language ? { language: input.language } : {}),
      })) as { text?: string; transcription_info?: { language?: string } };
      if (typeof out?.text !== "string") throw new ProviderError("Workers AI returned no transcription");
      result = { available: true, text: out.text.trim(), language: out.transcription_info?.language, model: cfg.workersAi.transcriptionModel, provider };
    }
    ok = true;
    return result;
  } finally {
    recordAiCall(provider, "transcribe", ok, (performance.now() - started) / 1000);
  }
}

/** Text to speech (MP3). Throws AppError for empty or overlong text, ProviderError when the provider fails. */
export async function synthesizeSpeech(env: Env, input: SpeechInput): Promise<Speech | AudioUnavailable> {
  const text = input.text.trim();
  if (!text) throw new AppError("VALIDATION_ERROR", "Nothing to speak", [{ field: "text", message: "empty" }]);
  if (text.length > SPEECH_MAX_CHARS) throw new AppError("VALIDATION_ERROR", `Speech text is limited to ${SPEECH_MAX_CHARS} characters`, [{ field: "text", message: "too long" }]);
  const provider = audioProvider(env);
  if (!provider) return unavailable(env, "text to speech");
  const cfg = config(env).ai;
  const started = performance.now();
  let ok = false;
  try {
    let result: Speech;
    if (provider === "openai") {
      const res = await fetch(`${cfg.openai.baseUrl}/audio/speech`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(cfg.openai.apiKey ? { Authorization: `Bearer ${cfg.openai.apiKey}` } : {}) },
        body: JSON.stringify({ model: cfg.openai.speechModel, input: text, voice: input.voice || cfg.openai.speechVoice, response_format: "mp3" }),
      });
      if (!res.ok) throw new ProviderError(`/audio/speech answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (!bytes.byteLength) throw new ProviderError("/audio/speech answered without audio");
      result = { available: true, bytes, contentType: res.headers.get("Content-Type")?.split(";")[0] || "audio/mpeg", model: cfg.openai.speechModel, provider };
    } else {
      if (!env.AI) return { available: false, setting: "AI binding", message: "workers-ai needs the AI binding ([env.production] ai in wrangler.toml)" };
      const ai = env.AI as unknown as { run(model: string, input: unknown): Promise<unknown> };
      const out = (await ai.run(cfg.workersAi.speechModel, { prompt: text, lang: input.language ?? "en" })) as { audio?: string } | Uint8Array;
      const bytes = out instanceof Uint8Array ? out : typeof out?.audio === "string" ? fromBase64(out.audio) : undefined;
      if (!bytes?.byteLength) throw new ProviderError("Workers AI returned no audio");
      result = { available: true, bytes, contentType: "audio/mpeg", model: cfg.workersAi.speechModel, provider };
    }
    ok = true;
    return result;
  } finally {
    recordAiCall(provider, "speak", ok, (performance.now() - started) / 1000);
  }
}
