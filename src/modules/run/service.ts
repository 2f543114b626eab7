// REST audio and images (issue 14 "Voice", "Images"): POST /api/v1/run/ (ai-chat-app spec: text, audio,
// images, video), POST /api/v1/run/audio (the answer spoken) and POST /api/core/messages/audio
// (customer-support spec). Media are stored as the conversation's files (src/modules/files); audio is
// transcribed (src/ai/audio.ts); images go into the prompt where the model has vision, otherwise the
// answer says it can't look at them; video is stored, not analysed, and the response says so.
import { config } from "../../config";
import type { Env } from "../../env";
import { streamAnswer, type AnswerResult } from "../../ai/answer";
import { audioProvider, isAudioType, transcribeAudio, type AudioUnavailable } from "../../ai/audio";
import { detectIntent, extractEntities } from "../../ai/intent";
import { chatText, resolveModel, visionModelOf, type ChatImage, type ModelInfo, type ProviderName } from "../../ai/providers/chat";
import { AppError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { conversationStub } from "../../realtime";
import { getPersona } from "../assistant";
import { history, openConversation } from "../ai";
import { attachmentsMetadata, storeConversationFiles, type FileRecord } from "../files";

export interface RunUpload {
  field: string;
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface RunInput {
  message?: string;
  conversationId?: string;
  knowledgeBaseId?: string;
  language?: string;
  files: RunUpload[];
  /** Who asked: the member (stored as uploaded_by). */
  memberId?: string;
}

type Kind = "audio" | "image" | "video" | "file";
const IMAGE = /^image\/(png|jpeg|gif|webp)$/;

export function kindOf(f: Pick<RunUpload, "field" | "contentType">): Kind {
  const type = f.contentType.split(";")[0]!.trim().toLowerCase();
  if (f.field === "audio" || (f.field !== "video" && type.startsWith("audio/"))) return "audio";
  if (f.field === "video" || type.startsWith("video/")) return "video";
  if (type.startsWith("image/")) return "image";
  return "file";
}

export const NO_VISION_NOTE = "I can't look at images with the configured AI model, so I haven't seen the picture; it is saved with this conversation.";
export const VIDEO_NOTE = "Videos are saved with this conversation but not analysed.";
export const NO_TRANSCRIPTION_NOTE = "No transcription is available for voice messages here, so I couldn't listen to it; it is saved with this conversation.";

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The vision model answers go to: the persona's chosen model if it sees, else AI_PROVIDER's vision model. */
async function visionModel(env: Env, chosen: string | null): Promise<ModelInfo | undefined> {
  if (chosen) {
    const m = await resolveModel(env, chosen, "chat").catch(() => undefined);
    if (m?.capabilities.includes("vision")) return m;
  }
  return visionModelOf(env, config(env).aiProvider as ProviderName);
}

export interface RunResult {
  conversation_id: string;
  message_id: string;
  user_message_id: string;
  transcription: string | null;
  response: string;
  model_used: string;
  confidence: number;
  sources: AnswerResult["sources"];
  files: FileRecord[];
  media: { audio: "transcribed" | "not_transcribed" | null; images: "analysed" | "not_analysed" | null; video: "stored_not_analysed" | null };
  notices: string[];
}

/** Validates everything before anything is stored: types (415), sizes (413), at least something to answer (422). */
function check(env: Env, input: RunInput) {
  const max = config(env).ai.audioMaxBytes;
  for (const [i, f] of input.files.entries()) {
    const kind = kindOf(f);
    if (kind === "audio") {
      if (!isAudioType(f.contentType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `${f.name}: ${f.contentType} is not audio`, [{ field: `files[${i}]`, message: "not audio" }]);
      if (f.bytes.byteLength > max) throw new AppError("PAYLOAD_TOO_LARGE", `${f.name}: audio is larger than ${max} bytes (AI_AUDIO_MAX_BYTES)`, [{ field: `files[${i}]`, message: "too large" }]);
    }
    if (!f.bytes.byteLength) throw new AppError("VALIDATION_ERROR", `${f.name || `file ${i + 1}`} is empty`, [{ field: `files[${i}]`, message: "empty" }]);
  }
  if (!input.message?.trim() && !input.files.length) {
    throw new AppError("VALIDATION_ERROR", "Send a message, audio or an image", [{ field: "message", message: "nothing to answer" }]);
  }
}

export async function run(env: Env, creatorId: string, input: RunInput): Promise<RunResult> {
  check(env, input);
  const conversation = await openConversation(env, creatorId, { message: input.message ?? "", conversation_id: input.conversationId, knowledge_base_id: input.knowledgeBaseId });
  const stored = input.files.length
    ? await storeConversationFiles(env, input.files.map((f) => ({ creatorId, conversationId: conversation.id, name: f.name, contentType: f.contentType, bytes: f.bytes, source: "api" as const, uploadedBy: input.memberId ?? null })))
    : [];
  const kinds = input.files.map(kindOf);
  const notices: string[] = [];
  const media: RunResult["media"] = { audio: null, images: null, video: kinds.includes("video") ? "stored_not_analysed" : null };
  if (media.video) notices.push(VIDEO_NOTE);

  // Audio → transcript (every audio part, in order).
  const transcripts: string[] = [];
  let unavailable: AudioUnavailable | undefined;
  for (const [i, f] of input.files.entries()) {
    if (kinds[i] !== "audio") continue;
    const t = await transcribeAudio(env, { bytes: f.bytes, contentType: stored[i]?.content_type ?? f.contentType, filename: f.name, language: input.language }).catch((err) => {
      log("warn", "transcription failed", { error: String(err) });
      throw new AppError("SERVICE_UNAVAILABLE", "The audio could not be transcribed right now; it is saved with this conversation");
    });
    if (t.available) transcripts.push(t.text);
    else unavailable = t;
  }
  if (kinds.includes("audio")) media.audio = unavailable && !transcripts.length ? "not_transcribed" : "transcribed";
  if (unavailable) notices.push(`${NO_TRANSCRIPTION_NOTE} (${unavailable.message})`);
  const transcription = transcripts.length ? transcripts.join("\n") : null;
  const text = [input.message?.trim(), transcription].filter(Boolean).join("\n");

  const stub = conversationStub(env, conversation.id);
  const past = await history(env, creatorId, conversation.id);
  const userMsg = await stub.ingest(conversation.id, creatorId, {
    text: text || (kinds.includes("image") ? "(image)" : kinds.includes("audio") ? "(voice message)" : "(file)"),
    clientId: `api:${newId()}`,
    answer: false,
    // Heard here already: the conversation object's own voice pipeline (src/realtime/transcription.ts)
    // skips a message whose metadata says how its audio went, instead of hearing it a second time.
    metadata: {
      ...attachmentsMetadata(stored),
      ...(kinds.includes("audio") && {
        transcription: transcription
          ? { status: "transcribed", text: transcription, file_id: stored[kinds.indexOf("audio")]?.id }
          : { status: "unavailable", file_id: stored[kinds.indexOf("audio")]?.id, ...(unavailable && { setting: unavailable.setting, message: unavailable.message }) },
      }),
    },
  });

  // Images: into the prompt of a vision model, or stored with an honest note.
  const persona = await getPersona(env, creatorId);
  const maxImage = config(env).ai.imageMaxBytes;
  const images: ChatImage[] = input.files.flatMap((f, i) => (kinds[i] === "image" && IMAGE.test(stored[i]!.content_type) && f.bytes.byteLength <= maxImage ? [{ mediaType: stored[i]!.content_type, base64: base64(f.bytes) }] : []));
  const vision = kinds.includes("image") ? await visionModel(env, persona.chat_model) : undefined;
  let answer: { response: string; model_used: string; confidence: number; sources: AnswerResult["sources"] };
  if (images.length && vision) {
    media.images = "analysed";
    if (images.length < kinds.filter((k) => k === "image").length) notices.push(`Images over ${maxImage} bytes or in other formats were saved but not looked at.`);
    const system = [
      `You are ${persona.name}, the assistant of a coach. Answer the user's message about the attached image(s) in a ${persona.tone} tone${persona.language ? `, in ${persona.language}` : ""}.`,
      "Describe only what you can see; if the image doesn't show what is asked, say so.",
      persona.instructions ? `The coach's instructions: ${persona.instructions}` : "",
    ].filter(Boolean).join("\n");
    let reply: string;
    try {
      reply = await chatText(env, vision, [{ role: "system", text: system }, ...past.map((m) => ({ role: m.role, text: m.content })), { role: "user", text: text || "What do you see?", images }], { temperature: 0.2, maxTokens: 800 });
    } catch (err) {
      log("error", "vision generation failed", { model: vision.id, error: String(err) });
      throw new AppError("SERVICE_UNAVAILABLE", "The AI model is not available right now");
    }
    answer = { response: reply.trim(), model_used: vision.id, confidence: 1, sources: [] };
  } else {
    if (kinds.includes("image")) media.images = "not_analysed";
    let result: AnswerResult | undefined;
    if (text) {
      for await (const e of streamAnswer(env, { creatorId, message: text, conversationId: conversation.id, knowledgeBaseId: conversation.knowledgeBaseId ?? undefined, history: past })) {
        if (e.type === "done") result = e.result;
      }
    }
    const notes = [media.images === "not_analysed" ? NO_VISION_NOTE : "", !text && media.audio === "not_transcribed" ? NO_TRANSCRIPTION_NOTE : "", !text && media.video && !kinds.some((k) => k === "image" || k === "audio") ? VIDEO_NOTE : ""].filter(Boolean);
    const response = [notes.join(" "), result?.response ?? ""].filter(Boolean).join("\n\n");
    answer = { response: response || VIDEO_NOTE, model_used: result?.model_used ?? "notice", confidence: result?.confidence ?? 0, sources: result?.sources ?? [] };
    if (media.images === "not_analysed") notices.push(NO_VISION_NOTE);
  }
  const posted = await stub.post(conversation.id, creatorId, {
    sender: "ai",
    text: answer.response,
    sources: answer.sources,
    metadata: { model_used: answer.model_used, confidence: answer.confidence },
  });
  return {
    conversation_id: conversation.id,
    message_id: posted.messageId,
    user_message_id: userMsg.messageId,
    transcription,
    ...answer,
    files: stored,
    media,
    notices: [...new Set(notices)],
  };
}

/** /run/audio and the local provider: a 503 naming the setting, before anything is stored. */
export function assertSpeech(env: Env) {
  if (!audioProvider(env)) {
    throw new AppError("SERVICE_UNAVAILABLE", `Spoken answers need a provider with text to speech: AI_PROVIDER=${config(env).aiProvider} has none. Add workers-ai or openai to AI_PROVIDERS (or set AI_PROVIDER).`, [{ field: "AI_PROVIDERS", message: "no text-to-speech provider configured" }]);
  }
}

/** customer-support spec "Process Audio Message": the context is the transcript's intent and entities. */
export function supportContext(text: string) {
  const intent = detectIntent(text);
  const entities = extractEntities(text);
  return { intent: intent.name, entities: [...new Set(Object.values(entities).flat())], confidence: intent.confidence };
}
