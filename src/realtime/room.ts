// A live conversation as its Durable Object holds it: the state (one owner), the message log, the
// D1 outbox, the queue of owed AI replies and the sockets. Flows (src/realtime/turn.ts,
// transitions.ts, socket-gateway.ts) work on a Room; the object class only delegates to them.
import type { Env } from "../env";
import { notFound } from "../lib/errors";
import { log } from "../lib/logging";
import { readConversationState } from "./conversation-state";
import { ChatBudget } from "./frame-limits";
import { ThresholdCache } from "./handover";
import type { ConversationSummary, RoomPorts } from "./index";
import { MessageLog, type ConversationState, type StoredMessage } from "./log";
import { Outbox } from "./outbox";
import { ProgramQuestionCache } from "./program-question";
import { ERASED_CLOSE_CODE, type ServerFrame } from "./protocol";
import { ReplyQueue } from "./reply-queue";
import { broadcastFrame, closeSockets, openSockets, sendFrame, type Presence } from "./sockets";

/** Non-user messages as MessageLog.append takes them. */
export type OutgoingInput = Parameters<MessageLog["append"]>[0];

/** Telegram, WhatsApp and email conversations: every outgoing message is sent out through the channel. */
export function sendsThroughChannel(state: ConversationState): boolean {
  return state.channel === "telegram" || state.channel === "whatsapp" || state.channel === "email";
}

export class Room {
  readonly log: MessageLog;
  readonly outbox: Outbox;
  readonly replies: ReplyQueue;
  /** The reply being streamed right now: a tab that resumes mid-stream gets the text so far. */
  streaming: { messageId: string; text: string } | null = null;
  readonly threshold = new ThresholdCache();
  /** Whether the end user has a program question waiting (asked once, then told of changes). */
  readonly programQuestion = new ProgramQuestionCache();
  /** The chat limit's lease for this conversation's end users (memory; frame-limits.ts). */
  readonly chatBudget = new ChatBudget();
  private current: ConversationState | null;
  private lastPresence: Presence | null = null;

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Env,
    readonly ports: RoomPorts,
    /** The AI's turn for a stored user message (src/realtime/turn.ts), run by the reply queue. */
    answer: (room: Room, userSeq: number) => Promise<void>,
  ) {
    // SQLite calls are synchronous: the log and state are ready before any event is delivered.
    this.log = new MessageLog(ctx.storage.sql);
    this.current = this.log.state();
    this.outbox = new Outbox({
      env,
      storage: ctx.storage,
      log: this.log,
      state: () => this.current,
      presence: () => this.lastPresence ?? this.presence(),
      forget: () => this.forget(),
    });
    this.replies = new ReplyQueue(
      (seq) => answer(this, seq),
      (_seq, err) => log("error", "ai reply failed", { conversation_id: this.current?.conversationId, error: String(err) }),
    );
  }

  /** The conversation's state, or null before the first bind (and after an erasure). */
  get state(): ConversationState | null {
    return this.current;
  }

  /** Persists a state change; `mirror: false` for changes D1 doesn't hold (epochs, the reset's clean-up). */
  save(mirror = true): void {
    if (this.current) this.log.saveState(this.current, mirror);
  }

  /** Learns which conversation this object is (once): the name must hash to this object's id. */
  async bind(conversationId: string): Promise<ConversationState> {
    if (this.current) {
      if (this.current.conversationId !== conversationId) throw notFound("Conversation");
      return this.current;
    }
    if (!conversationId || !this.env.CONVERSATION.idFromName(conversationId).equals(this.ctx.id)) throw notFound("Conversation");
    const read = await readConversationState(this.env, conversationId);
    if (!read) throw notFound("Conversation");
    if (this.current) return this.current;
    const { d1LastSeq, ...initial } = read;
    this.log.startAfter(d1LastSeq);
    this.current = initial;
    this.log.saveState(this.current, false);
    return this.current;
  }

  /** The state once the caller's conversation id and creator id are checked against it. */
  async bindFor(conversationId: string, creatorId: string): Promise<ConversationState> {
    const state = await this.bind(conversationId);
    if (state.creatorId !== creatorId) throw notFound("Conversation");
    return state;
  }

  summary(): ConversationSummary {
    const s = this.current!;
    const bookmark = this.outbox.bookmark;
    return { conversationId: s.conversationId, status: s.status, handover: s.handover, agent: s.agent, lastSeq: this.log.lastSeq, ...this.presence(), ...(bookmark && { d1Bookmark: bookmark }) };
  }

  /** Non-user messages; on Telegram and WhatsApp each is stored "queued" with its send owed in the same write. */
  appendOutgoing(input: OutgoingInput, send = true): StoredMessage {
    if (!sendsThroughChannel(this.current!)) return this.log.append(input);
    const deliveryStatus = input.deliveryStatus ?? "queued";
    const metadata = { parts_sent: 0, ...input.metadata };
    return this.log.append({ ...input, deliveryStatus, metadata }, { send: send && deliveryStatus === "queued" });
  }

  send(ws: WebSocket, frame: ServerFrame): void {
    sendFrame(ws, frame);
  }

  /** To every socket but `except` (typing indicators skip their sender). */
  broadcast(frame: ServerFrame, except?: WebSocket): void {
    broadcastFrame(this.ctx, frame, except);
  }

  /** The open sockets of one role ("user": the visitor's tabs, "agent": members). */
  sockets(role: "user" | "agent"): WebSocket[] {
    return this.ctx.getWebSockets(role);
  }

  presence(except?: WebSocket): Presence {
    return openSockets(this.ctx, except);
  }

  /** A socket came or went: the connections list (D1 presence) is updated at once. */
  presenceChanged(except?: WebSocket): void {
    if (!this.current) return;
    this.lastPresence = this.presence(except);
    this.log.markStateDirty();
    this.outbox.schedule(true);
  }

  /**
   * GDPR erasure (the creator's or one end user's): every socket closed with 4404 and every byte of
   * storage deleted. Another creator's conversation is left alone, whatever the caller asked.
   */
  async erase(conversationId: string, creatorId: string): Promise<{ erased: boolean; sockets_closed: number }> {
    const state = this.current;
    if (state && (state.conversationId !== conversationId || state.creatorId !== creatorId)) return { erased: false, sockets_closed: 0 };
    const sockets = this.ctx.getWebSockets().length;
    await this.forget(ERASED_CLOSE_CODE, "Conversation erased");
    return { erased: true, sockets_closed: sockets };
  }

  /** The conversation was erased from D1 (GDPR): drop the log and every socket. */
  async forget(code = 1008, reason = "Conversation deleted"): Promise<void> {
    closeSockets(this.ctx.getWebSockets(), code, reason);
    this.current = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
