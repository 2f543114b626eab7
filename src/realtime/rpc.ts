// The conversation object's RPC for the platform side: channel adapters (Telegram, WhatsApp) ingest an
// end user's message, and programs, proactive rules and the creator API post messages into the chat.
// The Durable Object class exposes these as its RPC methods and hands in the pieces they work on.
import { newId } from "../lib/ids";
import type { ConversationState, MessageLog, StoredMessage } from "./log";
import { messageFrame } from "./ai-reply";
import type { Outbox } from "./outbox-runner";
import type { OutgoingInput } from "./owed-sends";
import type { ReplyQueue } from "./reply-queue";
import type { Sender, ServerFrame, Source } from "./protocol";

/** What the REST API sees of a live conversation (GET /api/v1/conversations/{id} adds it to the D1 row). */
export interface ConversationSummary {
  conversationId: string;
  status: ConversationState["status"];
  handover: ConversationState["handover"];
  agent: ConversationState["agent"];
  lastSeq: number;
  userSockets: number;
  agentSockets: number;
}

/** An end user's message arriving from a channel adapter (Telegram, WhatsApp). */
export interface IngestInput {
  text: string;
  /** The platform message's key ("in:<id>"): a redelivered update is stored once. */
  clientId: string;
  endUserId: string;
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
}

/** What the RPC needs from the conversation object (built once in its constructor). */
export interface RpcHost {
  readonly log: MessageLog;
  readonly outbox: Outbox;
  readonly replies: ReplyQueue;
  state(): ConversationState | null;
  /** The object's state once the caller's conversation id and creator id are checked against it. */
  bindFor(conversationId: string, creatorId: string): Promise<ConversationState>;
  afterUserMessage(stored: StoredMessage, answer: boolean): Promise<{ consumed: boolean; wantsAi: boolean }>;
  /** Re-runs the reply owed for this message if nothing in this instance is answering it. */
  recoverReply(userSeq: number): void;
  appendOutgoing(input: OutgoingInput, send?: boolean): StoredMessage;
  /** To every socket but `except`. */
  broadcast(frame: ServerFrame, except?: WebSocket): void;
  presence(): { userSockets: number; agentSockets: number };
  /** The open sockets of one role. */
  sockets(role: "user" | "agent"): WebSocket[];
  /** Hands the conversation back to the AI (agent_left to everyone); nothing when the AI has it. */
  releaseToAi(): void;
}

/**
 * An end user's message from a channel adapter: stored once per clientId, shown live to agents,
 * then the same decisions as a widget message (handover phrase, programs, AI reply). Resolves
 * after the AI reply is stored, so the queue job that called it can retry a failed answer.
 */
export async function ingest(host: RpcHost, conversationId: string, creatorId: string, input: IngestInput): Promise<IngestResult> {
  const state = await host.bindFor(conversationId, creatorId);
  const known = host.log.byClientId(input.clientId);
  if (known) {
    // A retried job: the reply this message is owed may still be missing.
    host.recoverReply(known.seq);
    await host.replies.idle();
    return { stored: false, seq: known.seq, messageId: known.id, consumed: false, replyOwed: host.state()?.pendingReplyFor === known.seq };
  }
  // A channel chat is one conversation per contact: writing again reopens it (as its D1 row did);
  // a completed one is reopened (and said so on the sockets) with the message.
  if (state.status === "archived") state.status = "active";
  state.endUserId ??= input.endUserId;
  const stored = host.log.append({
    id: newId(),
    sender: "user",
    text: input.text,
    clientId: input.clientId,
    senderId: input.endUserId,
    ...(input.metadata && { metadata: input.metadata }),
  });
  const { consumed, wantsAi } = await host.afterUserMessage(stored, input.answer ?? true);
  if (wantsAi) await host.replies.idle();
  // The queue job that called is done when D1 has the message (and the reply's send is queued).
  await host.outbox.flush();
  return { stored: true, seq: stored.seq, messageId: stored.id, consumed, replyOwed: host.state()?.pendingReplyFor === stored.seq };
}

/** A message from the platform side (never the end user): idempotent by clientId, shown on every socket. */
export async function post(host: RpcHost, conversationId: string, creatorId: string, input: PostInput): Promise<PostResult> {
  await host.bindFor(conversationId, creatorId);
  const known = input.clientId ? host.log.byClientId(input.clientId) : null;
  if (known) return { stored: false, messageId: known.id, seq: known.seq, createdAt: known.createdAt };
  const stored = host.appendOutgoing(
    {
      id: newId(),
      sender: input.sender,
      text: input.text,
      ...(input.clientId && { clientId: input.clientId }),
      ...(input.senderId && { senderId: input.senderId }),
      ...(input.senderName && { senderName: input.senderName }),
      ...(input.sources && { sources: input.sources }),
      ...(input.deliveryStatus && { deliveryStatus: input.deliveryStatus }),
      ...(input.metadata && { metadata: input.metadata }),
    },
    input.send ?? true,
  );
  host.broadcast(messageFrame(stored));
  // Callers (REST API, programs) read the message back from D1: it is there when this resolves.
  await host.outbox.flush();
  return { stored: true, messageId: stored.id, seq: stored.seq, createdAt: stored.createdAt };
}
