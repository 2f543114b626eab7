// A user message with an audio attachment (a widget voice note, Telegram voice, WhatsApp audio) is
// heard before it is answered: the `transcribe` port turns the audio into text, the transcript becomes
// the message's text (the attachment stays), and a `transcription` frame tells every socket. Without
// speech to text (the local provider) the audio is kept and the conversation says so, honestly.
import { newId } from "../lib/ids";
import { log } from "../lib/logging";
import { messageFrame } from "./ai-reply";
import type { TranscriptionOutcome } from "./index";
import type { StoredMessage } from "./log";
import type { Room } from "./room";

export const TRANSCRIPTION_UNAVAILABLE_NOTICE =
  "I can't listen to voice messages here: no speech-to-text is set up for this assistant. Your recording is kept with the conversation — could you type your question?";
export const TRANSCRIPTION_FAILED_NOTICE = "Sorry, I couldn't make out your voice message. It's kept with the conversation — could you type your question?";

/** The message's attachments as the files service put them in its metadata. */
export function attachedFiles(m: StoredMessage): unknown[] {
  const a = m.metadata?.attachments;
  return Array.isArray(a) ? a : [];
}

/**
 * Hears the message's audio, if it has any: null when there is nothing to hear; otherwise the message
 * as it now is and whether it has words to answer (a transcript, or text it already had).
 */
export async function hearAudio(room: Room, stored: StoredMessage): Promise<{ message: StoredMessage; transcribed: boolean } | null> {
  const state = room.state!;
  const attachments = attachedFiles(stored);
  if (!attachments.length) return null;
  // Heard already (a recovery after an eviction that came after the revision): not again.
  const done = stored.metadata?.transcription as { status?: string } | undefined;
  if (done?.status) return { message: stored, transcribed: done.status === "transcribed" };
  let outcome: TranscriptionOutcome | null;
  try {
    outcome = await room.ports.transcribe(room.env, { creatorId: state.creatorId, conversationId: state.conversationId, attachments });
  } catch (err) {
    log("error", "transcription failed", { conversation_id: state.conversationId, error: String(err) });
    const first = attachments[0] as { id?: unknown } | undefined;
    outcome = { status: "failed", fileId: typeof first?.id === "string" ? first.id : "", message: "The speech-to-text provider failed" };
  }
  if (!outcome || !room.state) return null;
  // An empty transcript (silence, noise) is no transcript.
  if (outcome.status === "transcribed" && !outcome.text?.trim()) outcome = { ...outcome, status: "failed", text: undefined, message: "No speech was recognised" };
  const transcription = {
    status: outcome.status,
    file_id: outcome.fileId,
    ...(outcome.text !== undefined && { text: outcome.text }),
    ...(outcome.language && { language: outcome.language }),
    ...(outcome.model && { model: outcome.model }),
    ...(outcome.setting && { setting: outcome.setting }),
    ...(outcome.message && { message: outcome.message }),
  };
  const heard = outcome.status === "transcribed";
  // The transcript is the message's text; words it already had (a caption) stay in front of it.
  const text = heard ? [stored.text.trim(), outcome.text!.trim()].filter(Boolean).join("\n") : stored.text;
  const message = room.log.revise(stored.seq, text, { transcription }) ?? stored;
  room.broadcast({
    type: "transcription",
    messageId: stored.id,
    seq: stored.seq,
    fileId: outcome.fileId,
    status: outcome.status,
    ...(heard && { text: outcome.text!.trim() }),
    ...(outcome.language && { language: outcome.language }),
    ...(outcome.model && { model: outcome.model }),
    ...(outcome.message && { message: outcome.message }),
  });
  if (!heard) {
    // Said in the conversation (and sent out through the channel), so nobody waits for an answer to audio nobody heard.
    const notice = room.appendOutgoing({
      id: newId(),
      sender: "system",
      text: outcome.status === "unavailable" ? TRANSCRIPTION_UNAVAILABLE_NOTICE : TRANSCRIPTION_FAILED_NOTICE,
      clientId: `transcription:${stored.id}`,
      metadata: { transcription_notice: outcome.status, reply_to_seq: stored.seq },
    });
    room.broadcast(messageFrame(notice));
  }
  room.outbox.schedule();
  return { message, transcribed: heard };
}
