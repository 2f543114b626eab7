// The realtime protocol (DESIGN.md "Conversations and the realtime protocol"): every frame in both
// directions as a zod schema. zod/mini keeps the widget bundle small; the Durable Object and the
// widget import this one file, so the two ends can't drift.
import * as z from "zod/mini";

/** Frames bigger than this are refused before parsing (issue 4). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Close code of a widget socket whose token was revoked (session ended, widget key rotated). */
export const REVOKED_CLOSE_CODE = 4401;
/** The conversation was erased (GDPR): a client must not reconnect to it. */
export const ERASED_CLOSE_CODE = 4404;
/** A chat message's text: generous for a question, far below the frame limit even in UTF-8. */
export const MAX_TEXT_CHARS = 8000;

/** Files one message may carry (uploaded first: POST /api/v1/conversations/{id}/files). */
export const MAX_ATTACHMENTS = 10;

const ClientId = z.string().check(z.minLength(1), z.maxLength(100), z.regex(/^[A-Za-z0-9._:-]+$/));
const FileId = z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i));

export const ClientFrame = z.discriminatedUnion("type", [
  // A message with attachments may have no text (a photo without a caption).
  z
    .object({
      type: z.literal("message"),
      id: ClientId,
      text: z._default(z.string().check(z.trim(), z.maxLength(MAX_TEXT_CHARS)), ""),
      attachments: z.optional(z.array(FileId).check(z.maxLength(MAX_ATTACHMENTS))),
    })
    .check(z.refine((f) => f.text.length > 0 || (f.attachments?.length ?? 0) > 0, { message: "Too small: a message needs text or attachments", path: ["text"] })),
  z.object({ type: z.literal("typing"), isTyping: z.boolean() }),
  z.object({ type: z.literal("handover_request"), reason: z.optional(z.string().check(z.maxLength(500))) }),
  /** Agents only: hand the conversation back to the AI. */
  z.object({ type: z.literal("release") }),
  /** Agents only: mark the conversation resolved ("completed"); the visitor's next message reopens it. */
  z.object({ type: z.literal("complete") }),
  z.object({ type: z.literal("resume"), afterSeq: z.number().check(z.int(), z.gte(0)) }),
  z.object({ type: z.literal("ping") }),
  // Satisfaction after (or during) a conversation: src/modules/analytics/ratings.ts.
  z.object({ type: z.literal("rating"), score: z.number().check(z.int(), z.gte(1), z.lte(5)), comment: z.optional(z.string().check(z.maxLength(1000))) }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export type Sender = "user" | "ai" | "agent" | "system";

export interface Source {
  content: string;
  metadata: Record<string, unknown>;
  similarity_score: number;
}

/** The platform's own notices (system messages): the widget shows them in its language by code. */
export type NoticeCode = "handover_initiated" | "agent_joined" | "released" | "resolved";

/** A file a message carries, as every socket and the REST lists show it (url: GET it with the same credential). */
export interface Attachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  url: string;
}

export interface ChatMessage {
  id: string;
  seq: number;
  sender: Sender;
  text: string;
  /** The sender's own id (client message id) for user messages: lets a tab match its pending bubble. */
  clientId?: string;
  senderName?: string;
  sources?: Source[];
  /** System messages the platform wrote: which notice (the text is its English form). */
  notice?: { code: NoticeCode; name?: string };
  /** Files attached to the message (module files), in the order they were attached. */
  attachments?: Attachment[];
  createdAt: string;
}

export type TranscriptionStatus = "transcribed" | "unavailable" | "failed";

export type HandoverState = "ai" | "waiting" | "agent";

/** Someone in a room besides the socket that hears it: a Socket.IO client's member (issue 14). */
export interface Participant {
  id: string;
  name: string;
  role: "user";
}

/** left: leave_room or the namespace's disconnect; disconnected: the connection ended; revoked: the member lost access. */
export type LeaveReason = "left" | "disconnected" | "revoked";

/** Why a conversation was completed: an agent or the creator resolved it, or the idle sweep did. */
export type CompletionReason = "resolved" | "idle";

export type ServerFrame =
  | {
      type: "connection_established";
      conversationId: string;
      seq: number;
      status: string;
      handover: HandoverState;
      agent: { id: string; name: string } | null;
      role: "user" | "agent";
    }
  | { type: "ack"; id: string; seq: number }
  | ({ type: "message" } & ChatMessage)
  | { type: "ai_delta"; messageId: string; delta: string }
  | { type: "typing_start"; sender: Sender; name?: string }
  | { type: "typing_stop"; sender: Sender; name?: string }
  | { type: "handover_initiated"; message: string; reason: "user_request" | "phrase" | "low_confidence" | "agent" }
  | { type: "agent_joined"; agent: { id: string; name: string } }
  | { type: "agent_left"; agent: { id: string; name: string } | null; reason: "released" | "disconnected" }
  | { type: "resumed"; afterSeq: number; seq: number }
  /**
   * Presence of the members in a room (Socket.IO clients): their first socket in the conversation
   * announces them to every other socket, their last one going away says they left. Additive: the
   * widget ignores frames it doesn't know.
   */
  | { type: "user_joined"; user: Participant }
  | { type: "user_left"; user: Participant; reason: LeaveReason }
  /** completed: an agent resolved it or it sat idle; active: the visitor wrote again and reopened it. */
  | { type: "conversation_status"; status: "active" | "completed"; reason: CompletionReason | "user_message" }
  | { type: "error"; code: string; message: string; id?: string }
  | { type: "rating_recorded"; score: number }
  /**
   * A message's audio attachment was heard (issue 14 "Voice"): `transcribed` carries the transcript,
   * which is now the message's text; `unavailable` (no speech-to-text configured) and `failed` say so.
   */
  | {
      type: "transcription";
      messageId: string;
      seq: number;
      fileId: string;
      status: TranscriptionStatus;
      text?: string;
      language?: string;
      model?: string;
      message?: string;
    }
  | { type: "pong" };

/** Error codes in `error` frames: the REST codes of DESIGN.md "Errors". */
export type FrameErrorCode =
  | "MALFORMED_REQUEST"
  | "VALIDATION_ERROR"
  | "PAYLOAD_TOO_LARGE"
  | "RATE_LIMIT_EXCEEDED"
  | "INSUFFICIENT_PERMISSIONS"
  | "CONFLICT"
  | "INTERNAL_SERVER_ERROR";

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; code: FrameErrorCode; message: string };

/** Size check, JSON parse, schema check; never throws. */
export function parseClientFrame(raw: string | ArrayBuffer): ParsedFrame {
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw).byteLength : raw.byteLength;
  if (bytes > MAX_FRAME_BYTES) return { ok: false, code: "PAYLOAD_TOO_LARGE", message: `Frames are limited to ${MAX_FRAME_BYTES} bytes` };
  let data: unknown;
  try {
    data = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
  } catch {
    return { ok: false, code: "MALFORMED_REQUEST", message: "Frame is not valid JSON" };
  }
  const result = ClientFrame.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join(".") || "type";
    return { ok: false, code: "VALIDATION_ERROR", message: `${field}: ${issue?.message ?? "invalid frame"}` };
  }
  return { ok: true, frame: result.data };
}
