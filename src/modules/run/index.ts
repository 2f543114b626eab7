// Routes of the REST audio and image runs: POST /api/v1/run/ (multipart: message, audio, images, video),
// POST /api/v1/run/audio (the same, answered with speech) and POST /api/core/messages/audio
// (customer-support spec: base64 audio in JSON → transcript and the assistant's answer).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { audioProvider, synthesizeSpeech, SPEECH_MAX_CHARS } from "../../ai/audio";
import { config } from "../../config";
import type { AppBindings } from "../../env";
import { AppError, invalid } from "../../lib/errors";
import { createRouter, withPolicy, type PlanMeter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { readBodyLimited } from "../../middleware/json-body";
import { assertSpeech, run, supportContext, type RunInput, type RunUpload } from "./service";

const security = [{ bearerAuth: [] }];
const Json = z.record(z.string(), z.unknown());
const FILE_FIELDS = ["files", "file", "audio", "image", "images", "video"];

const runDoc = {
  description:
    "multipart/form-data: `message` (text), `conversation_id` (or `chat_id`; a new api conversation otherwise), `knowledge_base_id`, `language` (audio hint), and files in `audio`, `image`/`images`, `video` or `files` parts. " +
    "Every file is stored as a conversation file. Audio is transcribed and answered; images go into the prompt where the model has vision, otherwise the answer says it can't look at them; video is stored, not analysed (`media` and `notices` say what happened).",
};

const runRoute = createRoute({
  method: "post", path: "/api/v1/run/", tags: ["AI execution (ai-chat-app paths)"], security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Run the assistant on text, audio, images and video",
  ...runDoc,
  responses: { 200: jsonContent(Json, "The answer, the transcript and the stored files"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429), 503: { description: "A provider failed" } },
});
/** The same without the trailing slash (clients differ in how they write the spec's `POST /`). */
const runAliasRoute = createRoute({ ...runRoute, path: "/api/v1/run" });
const runAudioRoute = createRoute({
  method: "post", path: "/api/v1/run/audio", tags: ["AI execution (ai-chat-app paths)"], security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Run the assistant and answer with speech (audio/mpeg; X-Conversation-Id, X-Transcription and X-Response-Text headers)",
  ...runDoc,
  responses: { 200: { description: "The spoken answer", content: { "audio/mpeg": { schema: z.string() } } }, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429), 503: { description: "No text-to-speech provider configured (names the setting) or a provider failed" } },
});
const AudioMessageBody = z
  .object({
    audio: z.string().min(1).regex(/^[A-Za-z0-9+/=\s]+$/, "base64"),
    format: z.enum(["mp3", "mpeg", "ogg", "opus", "wav", "webm", "m4a", "mp4", "flac"]).default("mp3"),
    channel: z.string().max(40).optional(),
    userId: z.string().max(200).optional(),
    sessionId: z.string().uuid().optional().openapi({ description: "A conversation id from an earlier answer; a new conversation otherwise" }),
    metadata: z.object({ language: z.string().regex(/^[a-z]{2}$/).optional(), timezone: z.string().max(64).optional() }).partial().optional(),
  })
  .strict()
  .openapi("AudioMessageRequest");
const audioMessageRoute = createRoute({
  method: "post", path: "/api/core/messages/audio", tags: ["Chatbot core (customer-support paths)"], security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Process an audio message: transcription, then the assistant's answer in that conversation",
  request: { body: jsonBody(AudioMessageBody) },
  responses: { 200: jsonContent(Json, "Transcription and answer"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429), 503: { description: "No speech-to-text provider configured (names the setting) or it failed" } },
});

/** A run (text, audio, images) is an answer of the plan, like any AI answer. */
const ANSWER: PlanMeter = { counts: ["ai_messages", "ai_calls"] };
withPolicy(runRoute, { rateLimit: "chat", quotas: ["ai", "uploads"], body: "raw", meter: ANSWER });
withPolicy(runAliasRoute, { rateLimit: "chat", quotas: ["ai", "uploads"], body: "raw", meter: ANSWER });
withPolicy(runAudioRoute, { rateLimit: "chat", quotas: ["ai", "uploads"], body: "raw", meter: ANSWER });
withPolicy(audioMessageRoute, { rateLimit: "chat", quotas: ["ai"], meter: ANSWER });

const FORMAT_TYPES: Record<string, string> = { mp3: "audio/mpeg", mpeg: "audio/mpeg", ogg: "audio/ogg", opus: "audio/ogg", wav: "audio/wav", webm: "audio/webm", m4a: "audio/mp4", mp4: "audio/mp4", flac: "audio/flac" };

/** The multipart body through the one body reader, then its fields and file parts. */
async function readRun(c: Context<AppBindings>): Promise<RunInput> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^multipart\/form-data/i.test(type)) throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send multipart/form-data with a `message` and/or `audio`, `image`, `video` file parts");
  const cfg = config(c.env);
  const body = await readBodyLimited(c.req.raw, Math.max(cfg.files.maxUploadBytes, cfg.files.maxFileBytes, cfg.ai.audioMaxBytes) + 64 * 1024);
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "Content-Type": type } }).formData();
  } catch {
    throw new AppError("MALFORMED_REQUEST", "The multipart body could not be parsed");
  }
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === "string" && v.trim() ? v.trim() : undefined;
  };
  const files: RunUpload[] = [];
  for (const field of FILE_FIELDS) {
    for (const f of form.getAll(field)) {
      if (typeof f === "string") continue;
      files.push({ field, name: f.name || `${field}`, contentType: f.type || "application/octet-stream", bytes: new Uint8Array(await f.arrayBuffer()) });
    }
  }
  if (files.length > cfg.files.maxFilesPerUpload) throw invalid([{ field: "files", message: `At most ${cfg.files.maxFilesPerUpload} files a request` }]);
  const message = text("message") ?? text("text") ?? text("prompt");
  if (message && message.length > 4000) throw invalid([{ field: "message", message: "At most 4000 characters" }]);
  const conversationId = text("conversation_id") ?? text("chat_id");
  if (conversationId && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(conversationId)) throw invalid([{ field: "conversation_id", message: "Invalid uuid" }]);
  const knowledgeBaseId = text("knowledge_base_id");
  if (knowledgeBaseId && !/^[0-9a-f-]{36}$/i.test(knowledgeBaseId)) throw invalid([{ field: "knowledge_base_id", message: "Invalid uuid" }]);
  const language = text("language");
  if (language && !/^[a-z]{2}$/.test(language)) throw invalid([{ field: "language", message: "An ISO-639-1 code such as en" }]);
  return { message, conversationId, knowledgeBaseId, language, files, memberId: c.get("auth")?.sub };
}

const header = (s: string) => encodeURIComponent(s.slice(0, 1500));

export const runRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(runRoute, async (c) => c.json(await run(c.env, c.get("creatorId")!, await readRun(c)), 200))
  .openapi(runAliasRoute, async (c) => c.json(await run(c.env, c.get("creatorId")!, await readRun(c)), 200))
  .openapi(runAudioRoute, async (c) => {
    // Checked before the body is read or anything stored: the local provider can't speak.
    assertSpeech(c.env);
    const result = await run(c.env, c.get("creatorId")!, await readRun(c));
    const speech = await synthesizeSpeech(c.env, { text: result.response.slice(0, SPEECH_MAX_CHARS) }).catch(() => {
      throw new AppError("SERVICE_UNAVAILABLE", "The answer could not be spoken right now; it is in the conversation as text", [], { "X-Conversation-Id": result.conversation_id });
    });
    if (!speech.available) throw new AppError("SERVICE_UNAVAILABLE", speech.message, [{ field: speech.setting, message: "no text-to-speech provider" }]);
    return new Response(speech.bytes, {
      status: 200,
      headers: {
        "Content-Type": speech.contentType,
        "X-Conversation-Id": result.conversation_id,
        "X-Message-Id": result.message_id,
        "X-Transcription": header(result.transcription ?? ""),
        "X-Response-Text": header(result.response),
        "X-Speech-Model": speech.model,
      },
    }) as never;
  })
  .openapi(audioMessageRoute, async (c) => {
    const body = c.req.valid("json");
    // The spec's answer is a transcript: without a speech-to-text provider, a 503 naming the setting, nothing stored.
    if (!audioProvider(c.env)) throw new AppError("SERVICE_UNAVAILABLE", `No speech-to-text provider is configured (AI_PROVIDER=${config(c.env).aiProvider}): add workers-ai or openai to AI_PROVIDERS`, [{ field: "AI_PROVIDERS", message: "no speech-to-text provider configured" }]);
    let bytes: Uint8Array;
    try {
      const bin = atob(body.audio.replace(/\s+/g, ""));
      bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    } catch {
      throw invalid([{ field: "audio", message: "Not valid base64" }]);
    }
    const max = config(c.env).ai.audioMaxBytes;
    if (bytes.byteLength > max) throw new AppError("PAYLOAD_TOO_LARGE", `Audio is larger than ${max} bytes (AI_AUDIO_MAX_BYTES)`);
    const result = await run(c.env, c.get("creatorId")!, {
      conversationId: body.sessionId,
      language: body.metadata?.language,
      files: [{ field: "audio", name: `voice.${body.format}`, contentType: FORMAT_TYPES[body.format]!, bytes }],
      memberId: c.get("auth")?.sub,
    });
    if (result.media.audio === "not_transcribed") {
      // Spec shape needs a transcript: say what to configure (the audio stays stored in the conversation).
      throw new AppError("SERVICE_UNAVAILABLE", `No transcription is available: ${result.notices.join(" ")}`, [{ field: "AI_PROVIDERS", message: "no speech-to-text provider configured" }], { "X-Conversation-Id": result.conversation_id });
    }
    return c.json({
      transcription: result.transcription,
      response: { text: result.response, id: result.message_id, type: "text" },
      sessionId: result.conversation_id,
      context: supportContext(result.transcription ?? ""),
      model_used: result.model_used,
      files: result.files,
    }, 200);
  });
