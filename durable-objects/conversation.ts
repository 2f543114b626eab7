// One Durable Object per conversation (named by its id): its lifecycle hooks and RPC methods, each
// delegating to the conversation's Room (src/realtime/room.ts) and its flows — the socket gateway,
// the turn, the state transitions. This file also wires in what the room needs from the platform
// above it (socket authorization, programs, the plan's answer limit, ratings, speech to text), so src/realtime never imports src/modules.
import { DurableObject } from "cloudflare:workers";
import { explicitFacts } from "../src/ai/memory-facts";
import { aiProvider } from "../src/ai/providers";
import type { Env } from "../src/env";
import { rateFromSocket } from "../src/modules/analytics/ratings";
import { authorizeSocket } from "../src/modules/conversations/socket-access";
import { answerWithinPlan } from "../src/modules/plans/audience";
import { learnFromTurn } from "../src/modules/memory";
import { resolveAttachments } from "../src/modules/files";
import { readUserMessage } from "../src/modules/programs/inbound";
import { transcribeAttachments } from "../src/modules/voice";
import type {
  CompletionReason,
  ConversationRpc,
  ConversationSummary,
  IngestInput,
  IngestResult,
  PostInput,
  PostResult,
  RoomPorts,
  SocketRevocation,
  UserIdentity,
} from "../src/realtime";
import { post } from "../src/realtime/posts";
import { Room } from "../src/realtime/room";
import { SocketGateway } from "../src/realtime/socket-gateway";
import { archive, markCompleted, releaseToAi, resetContext } from "../src/realtime/transitions";
import { answer, ingest, recoverOwedReply } from "../src/realtime/turn";

/** How often the memory re-reads an end user's profile fields when their messages state nothing new. */
const PROFILE_SYNC_MS = 5 * 60_000;
/** Per end user (this isolate): when the memory last learnt from one of their messages in full. */
const lastLearnt = new Map<string, number>();

/**
 * Whether a message can teach the memory anything (learn.ts): a statement it recognises, an LLM
 * extraction (any provider but the offline one), or profile fields not looked at for a while (the
 * first message of an end user in this isolate, then every PROFILE_SYNC_MS). An ordinary "ok"
 * otherwise costs the memory two D1 reads per message for nothing (bench/README.md, realtime profile).
 */
function worthLearning(env: Env, msg: { endUserId: string; text: string }, now = Date.now()): boolean {
  const last = lastLearnt.get(msg.endUserId);
  if (last === undefined || now - last >= PROFILE_SYNC_MS || explicitFacts(msg.text).length > 0 || aiProvider(env).name !== "local") {
    if (lastLearnt.size >= 10_000) lastLearnt.clear();
    lastLearnt.set(msg.endUserId, now);
    return true;
  }
  return false;
}

// Each user message is read by programs (its proactive success mark rides in the mirror's batch,
// mirror-writer.ts) and, at the same time, learnt from by the memory — before the AI replies, so a
// fact just stated is already known to the answer.
const onUserMessage: RoomPorts["onUserMessage"] = async (env, msg) =>
  (await Promise.all([readUserMessage(env, msg), worthLearning(env, msg) ? learnFromTurn(env, msg) : null]))[0];

// A message's attachment ids must be files of its own conversation (module files).
const attachments: RoomPorts["attachments"] = async (env, c, ids) =>
  (await resolveAttachments(env, c.creatorId, c.conversationId, ids)).map((a) => ({ ...a }));

const ports: RoomPorts = { authorize: authorizeSocket, onUserMessage, answer: answerWithinPlan, rate: rateFromSocket, attachments, transcribe: transcribeAttachments };

export class Conversation extends DurableObject<Env> implements ConversationRpc {
  private readonly room: Room;
  private readonly sockets: SocketGateway;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.room = new Room(ctx, env, ports, answer);
    this.sockets = new SocketGateway(this.room);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  // ---- lifecycle hooks -------------------------------------------------------------------------

  /** The WebSocket upgrade. The token is checked here, before the socket is accepted. */
  override async fetch(request: Request): Promise<Response> {
    return this.sockets.upgrade(request);
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    return this.sockets.frame(ws, raw);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
    this.sockets.gone(ws, code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.sockets.gone(ws);
  }

  /** Outbox retry and recovery of an AI reply that an eviction interrupted. */
  override async alarm(): Promise<void> {
    await this.room.outbox.onAlarm();
    recoverOwedReply(this.room);
  }

  // ---- RPC (the caller has already checked the conversation is the creator's; the room checks again) ----

  async summary(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    await this.room.bindFor(conversationId, creatorId);
    return this.room.summary();
  }

  /** Clears the AI context (later answers don't see earlier turns); the record and log stay. */
  async reset(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    await this.room.bindFor(conversationId, creatorId);
    resetContext(this.room);
    await this.room.outbox.flush();
    return this.room.summary();
  }

  async archive(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    await this.room.bindFor(conversationId, creatorId);
    archive(this.room);
    await this.room.outbox.flush();
    return this.room.summary();
  }

  async release(conversationId: string, creatorId: string): Promise<ConversationSummary> {
    await this.room.bindFor(conversationId, creatorId);
    releaseToAi(this.room);
    await this.room.outbox.flush();
    return this.room.summary();
  }

  /** Resolved by the creator's API, or by the idle sweep when its last message is before `idleBefore`. */
  async complete(conversationId: string, creatorId: string, reason: CompletionReason, idleBefore?: string) {
    await this.room.bindFor(conversationId, creatorId);
    const changed = markCompleted(this.room, reason, idleBefore);
    await this.room.outbox.flush();
    return { ...this.room.summary(), changed };
  }

  /** Credentials were revoked (widget session ended, widget key rotated, member removed or signed out): their sockets close (4401). */
  async revokeWidgetSockets(conversationId: string, creatorId: string, revoke: SocketRevocation): Promise<number> {
    await this.room.bindFor(conversationId, creatorId);
    return this.sockets.revoke(revoke);
  }

  /** An end user's message from a channel adapter or the AI REST API. */
  async ingest(conversationId: string, creatorId: string, input: IngestInput): Promise<IngestResult> {
    await this.room.bindFor(conversationId, creatorId);
    return ingest(this.room, input);
  }

  /** A message from the platform side: programs, proactive rules, notices, the creator API. */
  async post(conversationId: string, creatorId: string, input: PostInput): Promise<PostResult> {
    await this.room.bindFor(conversationId, creatorId);
    return post(this.room, input);
  }

  /** The widget asks for a socket ticket (its token already checked live by the Worker). */
  async issueWidgetTicket(conversationId: string, creatorId: string, who: UserIdentity): Promise<{ ticket: string; expiresIn: number }> {
    await this.room.bindFor(conversationId, creatorId);
    return this.sockets.issueTicket(who);
  }

  /** GDPR erasure (creator or end user): sockets closed, all storage deleted. */
  async erase(conversationId: string, creatorId: string): Promise<{ erased: boolean; sockets_closed: number }> {
    return this.room.erase(conversationId, creatorId);
  }

  /** Programs: the end user's pending question changed (asked again at the next message). */
  async programQuestionChanged(conversationId: string, creatorId: string, endUserId: string): Promise<void> {
    const state = await this.room.bindFor(conversationId, creatorId);
    // A conversation whose end user isn't known yet forgets too: forgetting costs one lookup at most.
    if (!state.endUserId || state.endUserId === endUserId) this.room.programQuestion.changed();
  }

  /** Channel adapters (Telegram, WhatsApp) and tests: push the outbox now. */
  async flushOutbox(): Promise<void> {
    await this.room.outbox.flush();
  }
}
