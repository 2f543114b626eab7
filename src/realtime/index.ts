// The realtime package's only face: how the rest of the platform reaches a conversation's object
// (the stub, the socket hand-off, the RPC types) and the wire protocol's shared types. Modules import
// this file and nothing else under src/realtime; the Durable Object class is imported by the Worker
// entry alone (workers/api.ts).
import type { AnswerEvent, AnswerInput } from "../ai/answer";
import type { Env } from "../env";
import { AppError } from "../lib/errors";
import { log } from "../lib/logging";
import type { CompletionReason, Sender, ServerFrame, Source, TranscriptionStatus } from "./protocol";
import type { ConversationState } from "./log";
import type { SocketIdentity, SocketKind, UserIdentity } from "./socket-identity";

export { ERASED_CLOSE_CODE, MAX_ATTACHMENTS, REVOKED_CLOSE_CODE, type Attachment, type ChatMessage, type CompletionReason, type Sender, type ServerFrame, type Source, type TranscriptionStatus } from "./protocol";
export type { ConversationState, StoredMessage } from "./log";
export { ENGAGED_USER_MESSAGES, NO_HINTS, type MirrorHints } from "./mirror-sql";
export type { SocketIdentity, SocketKind, SocketMember, UserIdentity } from "./socket-identity";
export { confidenceThreshold } from "./handover";
export { HISTORY_TURNS } from "./ai-reply";
/** Telegram/WhatsApp end users share the widget users' per-user chat limit (tracker 11 item 5). */
export { limitEndUserChat } from "./frame-limits";
export { acceptSocketIo, SOCKETIO_NAMESPACE, type SocketIoAuth, type SocketIoPorts } from "./socketio";

/** Set by the Worker route (never by a client: the object is reachable only through its stub). */
export const CONVERSATION_HEADER = "X-EdgeCoach-Conversation";
export const SOCKET_KIND_HEADER = "X-EdgeCoach-Socket-Kind";

/** What the REST API sees of a live conversation (GET /api/v1/conversations/{id} adds it to the D1 row). */
export interface ConversationSummary {
  conversationId: string;
  status: ConversationState["status"];
  handover: ConversationState["handover"];
  agent: ConversationState["agent"];
  lastSeq: number;
  userSockets: number;
  agentSockets: number;
  /** D1 Sessions: the bookmark of the object's last mirror write (after the RPC's flush), for the REST caller's next read. */
  d1Bookmark?: string;
}

/** An end user's message arriving from a channel adapter (Telegram, WhatsApp) or the AI REST API. */
export interface IngestInput {
  text: string;
  /** The platform message's key ("in:<id>"): a redelivered update is stored once. */
  clientId: string;
  /** The channel's end user (absent on the AI REST API, whose caller is the creator's own code). */
  endUserId?: string;
  metadata?: Record<string, unknown>;
  /** false: stored and shown, but no AI reply (a /start the caller welcomes, media it can't read). */
  answer?: boolean;
}

export interface IngestResult {
  stored: boolean;
  seq: number;
  messageId: string;
  /** Programs took it (a question's answer, an opt-out): no AI reply. */
  consumed: boolean;
  /** The AI reply this message is owed did not happen (the assistant failed): the caller may retry. */
  replyOwed: boolean;
  /** D1 Sessions: the bookmark once D1 has the message. */
  d1Bookmark?: string;
}

/** A message the platform writes into the conversation: programs, proactive rules, notices, the creator API. */
export interface PostInput {
  sender: Exclude<Sender, "user">;
  text: string;
  /** Idempotency key: a second post with it returns the first message. */
  clientId?: string;
  senderName?: string;
  senderId?: string;
  deliveryStatus?: string;
  metadata?: Record<string, unknown>;
  sources?: Source[];
  /** Channel conversations: put the send on the queue (default). Off only for tests that deliver by hand. */
  send?: boolean;
}

export interface PostResult {
  stored: boolean;
  messageId: string;
  seq: number;
  createdAt: string;
  /** D1 Sessions: the bookmark once D1 has the message (a read constrained by it sees it). */
  d1Bookmark?: string;
}

/** Which live sockets to close: a widget session's, those of tokens before a key rotation, or a member's. */
export interface SocketRevocation {
  /** A widget session (POST /api/v1/channels/sessions) that was ended. */
  sessionId?: string;
  /** Widget tokens issued before a key rotation. */
  epochBelow?: number;
  /** A member's agent sockets (`memberId`), one login session's (`loginSessionId`), or both conditions. */
  memberId?: string;
  loginSessionId?: string;
}

/**
 * The conversation object's RPC, as callers see it (the class in durable-objects/conversation.ts
 * implements it). Every method names the conversation and its creator; the object checks both
 * against its own state, so a stub of the wrong name or tenant gets 404.
 */
export interface ConversationRpc extends Rpc.DurableObjectBranded {
  fetch(request: Request): Promise<Response>;
  summary(conversationId: string, creatorId: string): Promise<ConversationSummary>;
  reset(conversationId: string, creatorId: string): Promise<ConversationSummary>;
  archive(conversationId: string, creatorId: string): Promise<ConversationSummary>;
  release(conversationId: string, creatorId: string): Promise<ConversationSummary>;
  complete(conversationId: string, creatorId: string, reason: CompletionReason, idleBefore?: string): Promise<ConversationSummary & { changed: boolean }>;
  revokeWidgetSockets(conversationId: string, creatorId: string, revoke: SocketRevocation): Promise<number>;
  ingest(conversationId: string, creatorId: string, input: IngestInput): Promise<IngestResult>;
  post(conversationId: string, creatorId: string, input: PostInput): Promise<PostResult>;
  flushOutbox(): Promise<void>;
  /** GDPR erasure: sockets closed (4404), all storage deleted; another creator's conversation is left alone. */
  erase(conversationId: string, creatorId: string): Promise<{ erased: boolean; sockets_closed: number }>;
  /** A one-time, seconds-long ticket for a widget socket of this identity (the widget's connect URL carries it, not its token). */
  issueWidgetTicket(conversationId: string, creatorId: string, who: UserIdentity): Promise<{ ticket: string; expiresIn: number }>;
  /** Programs: this end user's pending program question changed; the object asks again at the next message. */
  programQuestionChanged(conversationId: string, creatorId: string, endUserId: string): Promise<void>;
}

/**
 * The one way to reach a conversation's object: named by the conversation id. `near`: the visitor's
 * request (its `cf` properties) on first contact, so the object is created close to them; Cloudflare
 * uses a location hint only when the object is first created, and ignores it afterwards.
 */
export function conversationStub(env: Env, conversationId: string, near?: Request) {
  const locationHint = near ? locationHintFor(near.cf as { continent?: string; country?: string; longitude?: string } | undefined) : undefined;
  return env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId), locationHint ? { locationHint } : undefined);
}

/** Cloudflare's Durable Object regions from the visitor's continent (and longitude/country where a continent has two). */
export function locationHintFor(cf: { continent?: string; country?: string; longitude?: string } | undefined): DurableObjectLocationHint | undefined {
  const longitude = Number(cf?.longitude);
  switch (cf?.continent) {
    case "NA":
      return Number.isFinite(longitude) && longitude < -100 ? "wnam" : "enam";
    case "SA":
      return "sam";
    case "EU":
      return Number.isFinite(longitude) && longitude > 20 ? "eeur" : "weur";
    case "AS":
      return ["AE", "SA", "QA", "KW", "BH", "OM", "IL", "JO", "LB", "IQ", "IR", "TR", "YE", "SY"].includes(cf.country ?? "") ? "me" : "apac";
    case "OC":
      return "oc";
    case "AF":
      return "afr";
    default:
      return undefined;
  }
}

/**
 * Hands a checked WebSocket upgrade to the conversation's object, which checks the token again and
 * accepts. The Worker side (modules/widget, modules/conversations) has already answered the usual
 * HTTP errors; a refusal here is a race with archiving or deletion.
 */
export async function forwardSocket(env: Env, request: Request, conversationId: string, kind: SocketKind): Promise<Response> {
  requireUpgrade(request);
  const headers = new Headers(request.headers);
  headers.set(CONVERSATION_HEADER, conversationId);
  headers.set(SOCKET_KIND_HEADER, kind);
  const res = await conversationStub(env, conversationId, request).fetch(new Request(request.url, { method: "GET", headers }));
  if (res.status === 101) return res;
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = (body?.error?.code ?? "INTERNAL_SERVER_ERROR") as ConstructorParameters<typeof AppError>[0];
  throw new AppError(code, body?.error?.message ?? "Connection refused");
}

/** A widget ticket names its creator and conversation (so the Worker can route it); the secret makes it unguessable. */
export function parseWidgetTicket(ticket: string): { creatorId: string; conversationId: string } | null {
  const m = /^([0-9a-f-]{36})\.([0-9a-f-]{36})\.[A-Za-z0-9_-]{20,}$/i.exec(ticket);
  return m ? { creatorId: m[1]!, conversationId: m[2]! } : null;
}

/** Throws the gateway's 400 before any work when the request is no upgrade. */
export function requireUpgrade(request: Request): void {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError("MALFORMED_REQUEST", "Expected a WebSocket upgrade (Upgrade: websocket)");
  }
}

/** What speech to text made of a message's audio attachment (the `transcribe` port). */
export interface TranscriptionOutcome {
  status: TranscriptionStatus;
  /** The attachment that was heard. */
  fileId: string;
  /** transcribed: the transcript. */
  text?: string;
  language?: string;
  model?: string;
  /** unavailable: the setting to change (e.g. AI_PROVIDERS); failed/unavailable: what happened, in words. */
  setting?: string;
  message?: string;
}

/** What the object needs from the platform that lives above it (wired by durable-objects/conversation.ts). */
export interface RoomPorts {
  /** Who may open a socket: checks the token against the conversation (widget or member). */
  authorize(env: Env, kind: SocketKind, token: string | null, conversation: { id: string; creatorId: string }): Promise<SocketIdentity>;
  /** Programs and the proactive engine read each end-user message; consumed = no AI reply. */
  onUserMessage(
    env: Env,
    msg: { creatorId: string; endUserId: string; conversationId: string; text: string; pendingQuestion?: boolean },
  ): Promise<{ consumed: boolean; pendingQuestion?: boolean }>;
  /** The answer contract within the creator's plan (modules/plans): over the limit, the fallback message. */
  answer(env: Env, input: AnswerInput, channel: string): AsyncGenerator<AnswerEvent>;
  /**
   * A `message` frame's attachment ids (modules/files): each must be a file of this conversation, or
   * it throws a VALIDATION_ERROR AppError. Returns what the message keeps in its metadata.
   */
  attachments(env: Env, conversation: { creatorId: string; conversationId: string }, fileIds: string[]): Promise<Record<string, unknown>[]>;
  /** A visitor's `rating` frame (modules/analytics): stored once, answered with a frame. */
  rate(
    env: Env,
    conversation: { creatorId: string; conversationId: string },
    who: { role: string },
    frame: { score: number; comment?: string },
  ): Promise<ServerFrame>;
  /**
   * Speech to text for a user message's attachments (message metadata `attachments`): the first audio
   * one is read from the conversation's files and transcribed; null when none of them is audio.
   */
  transcribe(env: Env, input: { creatorId: string; conversationId: string; attachments: unknown[] }): Promise<TranscriptionOutcome | null>;
}

/**
 * A member lost access (removed, role changed, tokens revoked) or signed out (`loginSessionId`: only
 * that login session's sockets; `memberId` null: whoever holds that session): their open agent sockets
 * and their Socket.IO room sockets close at once with 4401 (the Socket.IO bridge then ends the
 * session). The conversations with agent sockets, and the api-channel ones (Socket.IO rooms) with
 * user sockets, are those their objects last reported to D1 (presence is written urgently).
 */
export async function closeMemberSockets(env: Env, creatorId: string, memberId: string | null, loginSessionId?: string): Promise<number> {
  const live = await env.DB.prepare(
    `SELECT p.conversation_id FROM conversation_presence p
       LEFT JOIN conversations c ON c.id = p.conversation_id AND c.creator_id = p.creator_id
      WHERE p.creator_id = ? AND (p.agent_sockets > 0 OR (p.user_sockets > 0 AND c.channel = 'api'))`,
  )
    .bind(creatorId)
    .all<{ conversation_id: string }>();
  const revoke: SocketRevocation = { ...(memberId && { memberId }), ...(loginSessionId && { loginSessionId }) };
  const results = await Promise.allSettled(
    live.results.map((c) => conversationStub(env, c.conversation_id).revokeWidgetSockets(c.conversation_id, creatorId, revoke)),
  );
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed) log("warn", "some agent sockets could not be closed", { creator_id: creatorId, member_id: memberId, failed });
  return results.reduce((n, r) => n + (r.status === "fulfilled" ? r.value : 0), 0);
}

/**
 * Programs call this when one of an end user's enrolments starts (or stops) waiting for an answer:
 * each of the end user's open conversations forgets what it knew, so the next message asks again.
 * Resolves when every object has heard it (a failure is logged; the object's cache also expires).
 */
export async function programQuestionChanged(env: Env, creatorId: string, endUserId: string): Promise<void> {
  const open = await env.DB.prepare("SELECT id FROM conversations WHERE end_user_id = ? AND creator_id = ? AND status <> 'archived'")
    .bind(endUserId, creatorId)
    .all<{ id: string }>();
  const results = await Promise.allSettled(open.results.map((c) => conversationStub(env, c.id).programQuestionChanged(c.id, creatorId, endUserId)));
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed) log("warn", "some conversations missed a program question change", { creator_id: creatorId, end_user_id: endUserId, failed });
}
