// The AI's turn in a conversation: the question and the turns since the last reset go to the answer
// contract (streamAnswer); every delta is sent out as it comes; the caller stores the final answer.
import type { AnswerResult } from "../ai/answer";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { log } from "../lib/logging";
import type { ConversationState, MessageLog, StoredMessage } from "./log";
import type { Attachment, NoticeCode, ServerFrame } from "./protocol";
import type { RoomPorts } from "./index";

/** Earlier turns handed to the AI with each question, on every channel (the AI REST API included). */
export const HISTORY_TURNS = 12;

/** The reply being streamed right now: a tab that resumes mid-stream gets the text so far. */
export interface LiveReply {
  messageId: string;
  text: string;
}

export async function streamReply(
  env: Env,
  state: ConversationState,
  messages: MessageLog,
  userSeq: number,
  emit: (frame: ServerFrame) => void,
  live: (reply: LiveReply | null) => void,
  answer: RoomPorts["answer"],
): Promise<{ messageId: string; result: AnswerResult } | null> {
  const question = messages.after(userSeq - 1, 1)[0];
  if (!question || question.seq !== userSeq) return null;
  const history = messages
    .window(state.contextResetSeq, userSeq, HISTORY_TURNS)
    .filter((m) => m.sender !== "system")
    .map((m) => ({ role: m.sender === "user" ? ("user" as const) : ("assistant" as const), content: m.text }));
  const reply: LiveReply = { messageId: newId(), text: "" };
  live(reply);
  emit({ type: "typing_start", sender: "ai" });
  try {
    let result: AnswerResult | undefined;
    for await (const event of answer(env, {
      creatorId: state.creatorId,
      conversationId: state.conversationId,
      message: question.text,
      history,
      ...(state.knowledgeBaseId && { knowledgeBaseId: state.knowledgeBaseId }),
      // Whose memories the answer may use (the answer reads them through modules/memory).
      ...(state.endUserId && { endUserId: state.endUserId }),
      // Visitors (widget, Telegram, WhatsApp) are answered from public knowledge only (tracker 11 item 9).
      ...(state.channel !== "api" && { audience: "public" as const }),
    }, state.channel)) {
      if (event.type === "delta") {
        reply.text += event.delta;
        emit({ type: "ai_delta", messageId: reply.messageId, delta: event.delta });
      } else {
        result = event.result;
      }
    }
    if (!result) throw new Error("answer stream ended without a result");
    return { messageId: reply.messageId, result };
  } catch (err) {
    log("error", "answer failed", { conversation_id: state.conversationId, error: String(err) });
    emit({ type: "error", code: "INTERNAL_SERVER_ERROR", message: "The assistant could not answer, please try again" });
    return null;
  } finally {
    live(null);
    emit({ type: "typing_stop", sender: "ai" });
  }
}

/** A stored message as the `message` frame of the protocol (AI answers always carry `sources`). */
/** Message metadata's `attachments` (snake_case, as the D1 mirror keeps them) as the frames carry them. */
function frameAttachments(list: unknown[]): Attachment[] {
  return list.flatMap((a) => {
    const f = a as { id?: unknown; name?: unknown; content_type?: unknown; size?: unknown; url?: unknown };
    return typeof f.id === "string" && typeof f.url === "string"
      ? [{ id: f.id, name: String(f.name ?? "file"), contentType: String(f.content_type ?? "application/octet-stream"), size: Number(f.size ?? 0), url: f.url }]
      : [];
  });
}

export function messageFrame(m: StoredMessage): ServerFrame {
  return {
    type: "message",
    id: m.id,
    seq: m.seq,
    sender: m.sender,
    text: m.text,
    createdAt: m.createdAt,
    ...(m.clientId && { clientId: m.clientId }),
    ...(m.senderName && { senderName: m.senderName }),
    ...(m.sender === "ai" && { sources: m.sources ?? [] }),
    ...(Array.isArray(m.metadata?.attachments) && { attachments: frameAttachments(m.metadata.attachments) }),
    ...(m.sender === "system" && typeof m.metadata?.notice === "string" && {
      notice: { code: m.metadata.notice as NoticeCode, ...(typeof m.metadata.notice_name === "string" && { name: m.metadata.notice_name }) },
    }),
  };
}
