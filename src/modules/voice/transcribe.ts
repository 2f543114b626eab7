// The conversation object's `transcribe` port (src/realtime/transcription.ts): a message's first audio
// attachment read from the conversation's files (R2) and handed to speech to text (src/ai/audio.ts,
// whichever configured provider has it). No provider with audio is an answer, not an error.
import { isAudioType, transcribeAudio } from "../../ai/audio";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import { log } from "../../lib/logging";
import type { TranscriptionOutcome } from "../../realtime";
import { getConversationFile } from "../files";

interface Attachment {
  id: string;
  name?: string;
  content_type?: string;
}

const isAttachment = (a: unknown): a is Attachment => typeof a === "object" && a !== null && typeof (a as Attachment).id === "string";

export async function transcribeAttachments(env: Env, input: { creatorId: string; conversationId: string; attachments: unknown[] }): Promise<TranscriptionOutcome | null> {
  const audio = input.attachments.filter(isAttachment).find((a) => isAudioType(a.content_type ?? ""));
  if (!audio) return null;
  let file;
  try {
    // The conversation's own file only: another conversation's id is not found.
    file = await getConversationFile(env, input.creatorId, input.conversationId, audio.id);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return { status: "failed", fileId: audio.id, message: "The recording is no longer there" };
    throw err;
  }
  const bytes = new Uint8Array(await new Response(file.body).arrayBuffer());
  try {
    const heard = await transcribeAudio(env, { bytes, contentType: file.record.content_type, filename: file.record.name });
    if (!heard.available) return { status: "unavailable", fileId: audio.id, setting: heard.setting, message: heard.message };
    return { status: "transcribed", fileId: audio.id, text: heard.text, ...(heard.language && { language: heard.language }), model: heard.model };
  } catch (err) {
    // Too large or not audio after all (415/413 from checkAudio), or the provider failed: kept, said so.
    log("warn", "voice message not transcribed", { conversation_id: input.conversationId, file_id: audio.id, error: String(err) });
    return { status: "failed", fileId: audio.id, message: err instanceof AppError ? err.message : "The speech-to-text provider failed" };
  }
}
