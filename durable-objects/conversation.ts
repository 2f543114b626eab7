// One Durable Object per conversation (named by its id): the live sockets of the visitor's tabs and of
// agents, the message log in SQLite, AI replies streamed to every socket, handover, and the D1 outbox.
// Plain WebSocket Hibernation API: the object reads as lifecycle hooks delegating to small functions.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import { AppError, errorBody, notFound, unauthenticated } from "../src/lib/errors";
import { toAppError } from "../src/lib/http-errors";
import { newId } from "../src/lib/ids";
import { log } from "../src/lib/logging";
import { limitEndUserChat } from "../src/middleware/rate-limit";
import { readConversationState } from "../src/realtime/conversation-state";
import { authorizeSocket, type SocketIdentity, type SocketKind } from "../src/realtime/authorize";
import { asksForHuman, ThresholdCache } from "../src/realtime/handover";
import { agentGone, agentJoined, initiateHandover, releaseToAi } from "../src/realtime/handover-flow";
import { MessageLog, type ConversationState, type StoredMessage } from "../src/realtime/log";
import { messageFrame, streamReply, type LiveReply } from "../src/realtime/ai-reply";
import { Outbox } from "../src/realtime/outbox-runner";
import { parseClientFrame, type ClientFrame, type CompletionReason, type ServerFrame } from "../src/realtime/protocol";
import { appendOutgoing, type OutgoingInput } from "../src/realtime/owed-sends";
import { ReplyQueue } from "../src/realtime/reply-queue";
import { ingest, post, type ConversationSummary, type IngestInput, type IngestResult, type PostInput, type PostResult, type RpcHost } from "../src/realtime/rpc";
import { archive, complete, markCompleted, release, reset, revokeWidgetSockets, summary } from "../src/realtime/rest-rpc";
import { broadcastFrame, closeSockets, openSockets, sendFrame } from "../src/realtime/sockets";
import { consultPrograms, sendsThroughChannel } from "../src/realtime/user-message";
import { eraseConversationStorage } from "../src/realtime/erasure";

export type { ConversationSummary, IngestInput, IngestResult, PostInput, PostResult } from "../src/realtime/rpc";

/** Set by the Worker route (never by a client: the object is reachable only through its stub). */
export const CONVERSATION_HEADER = "X-EdgeCoach-Conversation";
export const SOCKET_KIND_HEADER = "X-EdgeCoach-Socket-Kind";

/** A resume replays at most this many messages; the client resumes again from the last one it got. */
const REPLAY_LIMIT = 500;

export class Conversation extends DurableObject<Env> {
  private readonly log: MessageLog;
  private state: ConversationState | null;
  private readonly outbox: Outbox;
  private readonly replies: ReplyQueue;
  /** The pieces the platform-side RPC (src/realtime/rpc.ts) works on. */
  private readonly rpc: RpcHost;
  private streaming: LiveReply | null = null;
  private readonly threshold = new ThresholdCache();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite calls are synchronous: the log and state are ready before any event is delivered.
    this.log = new MessageLog(ctx.storage.sql);
    this.state = this.log.state();
    this.outbox = new Outbox({
      env,
      storage: ctx.storage,
      log: this.log,
      state: () => this.state,
      presence: () => this.lastPresence ?? this.presence(),
      forget: () => this.forget(),
    });
    this.replies = new ReplyQueue(
      (seq) => this.reply(seq),
      (_seq, err) => log("error", "ai reply failed", { conversation_id: this.state?.conversationId, error: String(err) }),
    );
    this.rpc = {
      log: this.log,
      outbox: this.outbox,
      replies: this.replies,
      state: () => this.state,
      bindFor: (id, creatorId) => this.bindFor(id, creatorId),
      afterUserMessage: (stored, answer) => this.afterUserMessage(stored, answer),
      recoverReply: (seq) => this.recoverReply(seq),
      appendOutgoing: (input, send) => this.appendOutgoing(input, send),
      broadcast: (frame, except) => this.broadcast(frame, except),
      presence: () => this.presence(),
      sockets: (role) => this.ctx.getWebSockets(role),
      releaseToAi: () => releaseToAi(this.rpc, this.state!),
    };
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  // ---- lifecycle hooks -------------------------------------------------------------------------

  /** The WebSocket upgrade. The token is checked here, before the socket is accepted. */
  override async fetch(request: Request): Promise<Response> {
    try {
      const state = await this.bind(request.headers.get(CONVERSATION_HEADER) ?? "");
      const kind = request.headers.get(SOCKET_KIND_HEADER) as SocketKind;
      const who = await authorizeSocket(this.env, kind, new URL(request.url).searchParams.get("token"), {
        id: state.conversationId,
        creatorId: state.creatorId,
      });
      if (who.role === "user" && who.epoch < (state.widgetEpoch ?? 0)) throw unauthenticated("The widget token has been revoked");
      if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
        throw new AppError("MALFORMED_REQUEST", "Expected a WebSocket upgrade (Upgrade: websocket)");
      }
      const { 0: client, 1: server } = new WebSocketPair();
      this.ctx.acceptWebSocket(server, [who.role]);
      server.serializeAttachment(who);
      this.send(server, {
        type: "connection_established",
        conversationId: state.conversationId,
        seq: this.log.lastSeq,
        status: state.status,
        handover: state.handover,
        agent: state.agent,
        role: who.role,
      });
      if (who.role === "agent") agentJoined(this.rpc, state, who);
      this.presenceChanged();
      // A tab coming back after a crash: the reply the crash cut off is owed to it.
      this.recoverOwedReply();
      return new Response(null, { status: 101, webSocket: client });
    } catch (err) {
      const e = toAppError(err);
      return Response.json(errorBody(e, "conversation"), { status: e.status });
    }
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const who = ws.deserializeAttachment() as SocketIdentity;
    if (!this.state) {
      ws.close(1011, "Conversation no longer exists");
      return;
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.send(ws, { type: "error", code: parsed.code, message: parsed.message });
    const frame = parsed.frame;
    switch (frame.type) {
      case "message":
        return this.onChatMessage(ws, who, frame);
      case "typing":
        return this.broadcast(
          { type: frame.isTyping ? "typing_start" : "typing_stop", sender: who.role, ...(who.role === "agent" && { name: who.name }) },
          ws,
        );
      case "handover_request":
        if (who.role !== "user") return this.send(ws, { type: "error", code: "INSUFFICIENT_PERMISSIONS", message: "Only the end user requests a handover" });
        if (this.state.status === "archived") return this.send(ws, { type: "error", code: "CONFLICT", message: "This conversation is archived" });
        if (this.state.handover === "ai") return initiateHandover(this.rpc, this.state, "user_request");
        return this.send(ws, { type: "handover_initiated", message: "A human agent has been asked to join.", reason: "user_request" });
      case "release":
        if (who.role !== "agent") return this.send(ws, { type: "error", code: "INSUFFICIENT_PERMISSIONS", message: "Only an agent releases a conversation" });
        releaseToAi(this.rpc, this.state);
        return;
      case "complete":
        if (who.role !== "agent") return this.send(ws, { type: "error", code: "INSUFFICIENT_PERMISSIONS", message: "Only an agent completes a conversation" });
        if (this.state.status === "archived") return this.send(ws, { type: "error", code: "CONFLICT", message: "This conversation is archived" });
        markCompleted(this.rpc, this.state, "resolved");
        return;
      case "resume":
        this.replay(ws, frame.afterSeq);
        return this.recoverOwedReply();
      case "ping":
        return this.send(ws, { type: "pong" });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
    this.socketGone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.socketGone(ws);
  }

  /** Outbox retry and recovery of an AI reply that an eviction interrupted. */
  override async alarm(): Promise<void> {
    await this.outbox.onAlarm();
    this.recoverOwedReply();
  }

  // ---- RPC for the REST API (the caller has already checked the conversation is the creator's) ----

  async summary(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    return summary(this.rpc, conversationId, creatorId);
  }

  /** Clears the AI context (later answers don't see earlier turns); the record and log stay. */
  async reset(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    return reset(this.rpc, conversationId, creatorId);
  }

  async archive(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    return archive(this.rpc, conversationId, creatorId);
  }

  async release(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    return release(this.rpc, conversationId, creatorId);
  }

  /** A widget session ended or the widget key rotated: the sockets holding revoked tokens are closed. */
  async revokeWidgetSockets(conversationId: string, creatorId: string, revoke: { sessionId?: string; epochBelow?: number }): Promise<number> {
    return revokeWidgetSockets(this.rpc, conversationId, creatorId, revoke);
  }

  /** Resolved by the creator's API, or by the idle sweep when its last message is before `idleBefore`. */
  async complete(conversationId: string, creatorId: string, reason: CompletionReason, idleBefore?: string) {
    return complete(this.rpc, conversationId, creatorId, reason, idleBefore);
  }

  /** An end user's message from a channel adapter (src/realtime/rpc.ts). */
  async ingest(conversationId: string, creatorId: string, input: IngestInput): Promise<IngestResult> {
    return ingest(this.rpc, conversationId, creatorId, input);
  }

  /** A message from the platform side: programs, proactive rules, notices, the creator API. */
  async post(conversationId: string, creatorId: string, input: PostInput): Promise<PostResult> {
    return post(this.rpc, conversationId, creatorId, input);
  }

  /** GDPR erasure (creator or end user): sockets closed, all storage deleted (src/realtime/erasure.ts). */
  async erase(conversationId: string, creatorId: string): Promise<{ erased: boolean; sockets_closed: number }> {
    const result = await eraseConversationStorage(this.ctx, this.state, conversationId, creatorId);
    if (result.erased) this.state = null;
    return result;
  }

  /** Channel adapters (Telegram, WhatsApp) and tests: push the outbox now. */
  async flushOutbox(): Promise<void> {
    await this.outbox.flush();
  }

  // ---- the conversation ----------------------------------------------------------------------

  private async onChatMessage(ws: WebSocket, who: SocketIdentity, frame: Extract<ClientFrame, { type: "message" }>): Promise<void> {
    // A resent client id is acknowledged again and never stored twice.
    const known = this.log.byClientId(frame.id);
    if (known) return this.send(ws, { type: "ack", id: frame.id, seq: known.seq });
    if (this.state!.status === "archived") {
      return this.send(ws, { type: "error", code: "CONFLICT", message: "This conversation is archived", id: frame.id });
    }
    if (who.role === "user") {
      const limited = await limitEndUserChat(this.env, who.endUserId);
      if (limited && !limited.allowed) {
        return this.send(ws, { type: "error", code: "RATE_LIMIT_EXCEEDED", message: "Too many messages, slow down", id: frame.id });
      }
      // The rate-limit call let other events in: the same id may have been stored meanwhile.
      const raced = this.log.byClientId(frame.id);
      if (raced) return this.send(ws, { type: "ack", id: frame.id, seq: raced.seq });
    }
    const state = this.state!;
    if (who.role === "agent") {
      // The agent's word goes out through the channel too (Telegram, WhatsApp).
      const stored = this.appendOutgoing({ id: newId(), sender: "agent", text: frame.text, clientId: frame.id, senderId: who.memberId, senderName: who.name });
      this.send(ws, { type: "ack", id: frame.id, seq: stored.seq });
      this.broadcast(messageFrame(stored));
      this.outbox.schedule();
      if (state.handover !== "agent" || state.agent?.id !== who.memberId) agentJoined(this.rpc, state, who);
      return;
    }
    const stored = this.log.append({ id: newId(), sender: "user", text: frame.text, clientId: frame.id });
    // Acked only after the write is durable: the output gate holds this send until SQLite has committed.
    this.send(ws, { type: "ack", id: frame.id, seq: stored.seq });
    await this.afterUserMessage(stored);
  }

  /**
   * What follows a stored end-user message, whichever way it came (widget socket or channel): shown
   * live, then a handover phrase, programs (an answered question or an opt-out gets no AI reply), or
   * the AI's turn.
   */
  private async afterUserMessage(stored: StoredMessage, answer = true): Promise<{ consumed: boolean; wantsAi: boolean }> {
    const state = this.state!;
    // A completed conversation is reopened by the visitor writing again (saved with the message below).
    const reopened = state.status === "completed";
    if (reopened) state.status = "active";
    const wantsHuman = answer && state.handover === "ai" && asksForHuman(stored.text);
    let wantsAi = answer && state.handover === "ai" && !wantsHuman;
    // Written with the message (one implicit transaction): an eviction before the reply re-runs it.
    if (wantsAi) state.pendingReplyFor = stored.seq;
    this.log.saveState(state);
    if (reopened) this.broadcast({ type: "conversation_status", status: "active", reason: "user_message" });
    this.broadcast(messageFrame(stored));
    this.outbox.schedule(reopened);
    if (wantsHuman) initiateHandover(this.rpc, state, "phrase");
    // Held while programs look at it, so the alarm doesn't start the reply meanwhile.
    if (wantsAi) this.replies.hold(stored.seq);
    const consumed = await consultPrograms(this.env, state, stored.text);
    if (wantsAi && consumed) {
      this.replies.release(stored.seq);
      if (this.state?.pendingReplyFor === stored.seq) {
        this.state.pendingReplyFor = null;
        this.log.saveState(this.state);
      }
      wantsAi = false;
    }
    if (wantsAi) this.replies.queue(stored.seq);
    return { consumed, wantsAi };
  }

  /** Non-user messages; on Telegram and WhatsApp each is stored with its send owed (src/realtime/owed-sends.ts). */
  private appendOutgoing(input: OutgoingInput, send = true): StoredMessage {
    return appendOutgoing(this.log, this.state!, input, send);
  }

  /**
   * A reply owed by the durable state that this instance isn't working on: the instance that was
   * generating it died (crash, deploy, eviction). The owed mark is cleared in the same write that
   * stores the reply, so a reply is re-run only if it was never stored: exactly one reaches the chat.
   */
  private recoverReply(userSeq: number): void {
    const state = this.state;
    if (state?.pendingReplyFor === userSeq && state.handover === "ai" && state.status !== "archived" && !this.replies.has(userSeq)) {
      this.replies.queue(userSeq);
    }
  }

  /** Called when the object comes back to life: a socket connects or resumes, or the alarm fires. */
  private recoverOwedReply(): void {
    const owed = this.state?.pendingReplyFor;
    if (owed) this.recoverReply(owed);
  }

  /** Streams the AI answer to every socket, then stores it and sends the final message with sources. */
  private async reply(userSeq: number): Promise<void> {
    const state = this.state;
    if (!state || state.handover !== "ai" || state.status === "archived") return;
    const done = await streamReply(this.env, state, this.log, userSeq, (f) => this.broadcast(f), (r) => (this.streaming = r));
    if (!done) return;
    const stored = this.appendOutgoing({
      id: done.messageId,
      sender: "ai",
      text: done.result.response,
      sources: done.result.sources,
      ...(sendsThroughChannel(state) && { metadata: { confidence: done.result.confidence, reply_to_seq: userSeq } }),
    });
    if (state.pendingReplyFor === userSeq) {
      state.pendingReplyFor = null;
      this.log.saveState(state);
    }
    this.broadcast(messageFrame(stored));
    this.outbox.schedule();
    const threshold = await this.threshold.get(this.env, state.creatorId);
    if (threshold > 0 && done.result.confidence < threshold && state.handover === "ai") initiateHandover(this.rpc, state, "low_confidence");
  }

  private replay(ws: WebSocket, afterSeq: number): void {
    for (const m of this.log.after(afterSeq, REPLAY_LIMIT)) this.send(ws, messageFrame(m));
    this.send(ws, { type: "resumed", afterSeq, seq: this.log.lastSeq });
    // A reply streaming right now: the text so far, so the tab shows no gap.
    if (this.streaming?.text) this.send(ws, { type: "ai_delta", messageId: this.streaming.messageId, delta: this.streaming.text });
  }

  private socketGone(ws: WebSocket): void {
    const who = ws.deserializeAttachment() as SocketIdentity | null;
    if (this.state && who?.role === "agent") agentGone(this.rpc, this.state, who, ws);
    this.presenceChanged(ws);
  }

  // ---- state, outbox, sockets --------------------------------------------------------------------

  /** Learns which conversation this object is (once): the name must hash to this object's id. */
  private async bind(conversationId: string): Promise<ConversationState> {
    if (this.state) {
      if (this.state.conversationId !== conversationId) throw notFound("Conversation");
      return this.state;
    }
    if (!conversationId || !this.env.CONVERSATION.idFromName(conversationId).equals(this.ctx.id)) throw notFound("Conversation");
    const read = await readConversationState(this.env, conversationId);
    if (!read) throw notFound("Conversation");
    if (this.state) return this.state;
    const { d1LastSeq, ...initial } = read;
    this.log.startAfter(d1LastSeq);
    this.state = initial;
    this.log.saveState(this.state, false);
    return this.state;
  }

  private async bindFor(conversationId: string, creatorId: string): Promise<ConversationState> {
    const state = await this.bind(conversationId);
    if (state.creatorId !== creatorId) throw notFound("Conversation");
    return state;
  }

  /** The conversation was erased from D1 (GDPR): drop the log and every socket. */
  private async forget(): Promise<void> {
    closeSockets(this.ctx.getWebSockets(), 1008, "Conversation deleted");
    this.state = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private presence(except?: WebSocket) {
    return openSockets(this.ctx, except);
  }

  private presenceChanged(except?: WebSocket): void {
    if (!this.state) return;
    this.lastPresence = this.presence(except);
    this.log.markStateDirty();
    this.outbox.schedule(true);
  }

  private lastPresence: { userSockets: number; agentSockets: number } | null = null;

  private send(ws: WebSocket, frame: ServerFrame): void {
    sendFrame(ws, frame);
  }

  private broadcast(frame: ServerFrame, except?: WebSocket): void {
    broadcastFrame(this.ctx, frame, except);
  }
}
