// What an end user's message means beyond the chat: programs and the proactive engine see every one
// (an answer to a pending question, an opt-out, the reply that makes a proactive message a success).
import type { Env } from "../env";
import { log } from "../lib/logging";
import { onUserMessage } from "../modules/programs/inbound";
import type { ConversationState } from "./log";

/** consumed = the message answered a program question or was an opt-out: the AI doesn't answer it. */
export async function consultPrograms(env: Env, state: ConversationState, text: string): Promise<boolean> {
  if (!state.endUserId) return false;
  try {
    const r = await onUserMessage(env, { creatorId: state.creatorId, endUserId: state.endUserId, conversationId: state.conversationId, text });
    return r.consumed;
  } catch (err) {
    // A failing program must not silence the chat: the message is answered as an ordinary one.
    log("error", "programs could not read a user message", { conversation_id: state.conversationId, error: String(err) });
    return false;
  }
}

/** Telegram and WhatsApp conversations: every outgoing message is sent out through the channel. */
export function sendsThroughChannel(state: ConversationState): boolean {
  return state.channel === "telegram" || state.channel === "whatsapp";
}
