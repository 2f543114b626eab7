// One turn of the conversation: an end user's message (widget socket, channel adapter or the AI REST
// API) is stored once per client id → acked (only after SQLite committed) → shown live → a handover
// phrase, programs (an answered question or an opt-out gets no AI reply), or the AI's reply, which is
// streamed to every socket and stored. An agent's message is the other kind of turn: stored, sent
// out through the channel, and it takes the conversation over.
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { log } from "../lib/logging";
import { messageFrame, streamReply } from "./ai-reply";
import { asksForHuman } from "./handover";
import type { IngestInput, IngestResult } from "./index";
import type { StoredMessage } from "./log";
import type { ClientFrame } from "./protocol";
import { sendsThroughChannel, type Room } from "./room";
import type { SocketIdentity } from "./socket-identity";
import { agentJoined, initiateHandover, reopenForMessage } from "./transitions";
import { attachedFiles, hearAudio } from "./transcription";

type MessageFrame = Extract<ClientFrame, { type: "message" }>;

/** A `message` frame from a socket (the visitor's tab or an agent). */
export async function onSocketMessage(room: Room, ws: WebSocket, who: SocketIdentity, frame: MessageFrame): Promise<void> {
  // A resent client id is acknowledged again and never stored twice.
  const known = room.log.byClientId(frame.id);
  if (known) return room.send(ws, { type: "ack", id: frame.id, seq: known.seq });
  if (room.state!.status === "archived") {
    return room.send(ws, { type: "error", code: "CONFLICT", message: "This conversation is archived", id: frame.id });
  }
  let metadata: Record<string, unknown> | undefined;
  if (frame.attachments?.length) {
    const found = await attachmentsOf(room, ws, frame);
    if (!found) return;
    // The lookup let other events in: the same id may have been stored meanwhile.
    const raced = room.log.byClientId(frame.id);
    if (raced) return room.send(ws, { type: "ack", id: frame.id, seq: raced.seq });
    if (!room.state) return;
    metadata = { attachments: found };
  }
  if (who.role === "agent") {
    // The agent's word goes out through the channel too (Telegram, WhatsApp).
    const stored = room.appendOutgoing({
      id: newId(),
      sender: "agent",
      text: frame.text,
      clientId: frame.id,
      senderId: who.memberId,
      senderName: who.name,
      ...(metadata && { metadata }),
    });
    room.send(ws, { type: "ack", id: frame.id, seq: stored.seq });
    room.broadcast(messageFrame(stored));
    room.outbox.schedule();
    const state = room.state!;
    if (state.handover !== "agent" || state.agent?.id !== who.memberId) agentJoined(room, who);
    return;
  }
  const budget = room.chatBudget.allow(room.env, who.endUserId);
  if (budget instanceof Promise) {
    if (!(await budget)) return room.send(ws, { type: "error", code: "RATE_LIMIT_EXCEEDED", message: "Too many messages, slow down", id: frame.id });
    // The limiter's round trip let other events in: the same id may have been stored meanwhile.
    const raced = room.log.byClientId(frame.id);
    if (raced) return room.send(ws, { type: "ack", id: frame.id, seq: raced.seq });
    if (!room.state) return;
  } else if (budget === false) {
    return room.send(ws, { type: "error", code: "RATE_LIMIT_EXCEEDED", message: "Too many messages, slow down", id: frame.id });
  }
  const stored = room.log.append({ id: newId(), sender: "user", text: frame.text, clientId: frame.id, ...(metadata && { metadata }) });
  // Acked only after the write is durable: the output gate holds this send until SQLite has committed.
  room.send(ws, { type: "ack", id: frame.id, seq: stored.seq });
  // Files without a word are answered only if the voice pipeline gives them one (afterUserMessage).
  await afterUserMessage(room, stored, true, false);
}

/** The frame's attachments as the message keeps them, or null after an error frame (not files of this conversation). */
async function attachmentsOf(room: Room, ws: WebSocket, frame: MessageFrame): Promise<Record<string, unknown>[] | null> {
  const state = room.state!;
  try {
    return await room.ports.attachments(room.env, { creatorId: state.creatorId, conversationId: state.conversationId }, frame.attachments ?? []);
  } catch (err) {
    const known = err instanceof AppError && err.code === "VALIDATION_ERROR";
    if (!known) log("error", "attachments could not be checked", { conversation_id: state.conversationId, error: String(err) });
    room.send(ws, {
      type: "error",
      code: known ? "VALIDATION_ERROR" : "INTERNAL_SERVER_ERROR",
      message: known ? (err as AppError).details[0]?.message ?? err.message : "Attachments could not be checked, retry",
      id: frame.id,
    });
    return null;
  }
}

/**
 * An end user's message from a channel adapter or the AI REST API: stored once per clientId, shown
 * live to agents, then the same decisions as a widget message. Resolves after the AI reply is
 * stored, so the queue job (or HTTP request) that called can retry a failed answer.
 */
export async function ingest(room: Room, input: IngestInput): Promise<IngestResult> {
  const known = room.log.byClientId(input.clientId);
  if (known) {
    // A retried job: the reply this message is owed may still be missing (or its audio unheard).
    if (room.state?.hearingFor === known.seq) await recoverHearing(room);
    recoverReply(room, known.seq);
    await room.replies.idle();
    return { stored: false, seq: known.seq, messageId: known.id, consumed: false, replyOwed: room.state?.pendingReplyFor === known.seq };
  }
  if (input.endUserId) room.state!.endUserId ??= input.endUserId;
  const stored = room.log.append({
    id: newId(),
    sender: "user",
    text: input.text,
    clientId: input.clientId,
    ...(input.endUserId && { senderId: input.endUserId }),
    ...(input.metadata && { metadata: input.metadata }),
  });
  const { consumed, wantsAi } = await afterUserMessage(room, stored, input.answer ?? true, true);
  if (wantsAi) await room.replies.idle();
  // The caller is done when D1 has the message (and the reply's send is queued).
  await room.outbox.flush();
  const bookmark = room.outbox.bookmark;
  return { stored: true, seq: stored.seq, messageId: stored.id, consumed, replyOwed: room.state?.pendingReplyFor === stored.seq, ...(bookmark && { d1Bookmark: bookmark }) };
}

/** What follows a stored end-user message, whichever way it came. */
async function afterUserMessage(room: Room, stored: StoredMessage, answer: boolean, fromChannel: boolean, shown = false): Promise<{ consumed: boolean; wantsAi: boolean }> {
  const state = room.state!;
  const reopened = reopenForMessage(room, fromChannel);
  const announce = () => {
    if (reopened) room.broadcast({ type: "conversation_status", status: "active", reason: "user_message" });
    room.broadcast(messageFrame(stored));
    room.outbox.schedule(reopened);
  };
  let announced = shown;
  if (attachedFiles(stored).length) {
    // Audio is shown at once, heard, then answered as its transcript (src/realtime/transcription.ts).
    // Marked in the durable state with the message: an eviction before the end re-runs the rest.
    state.hearingFor = stored.seq;
    room.save();
    if (!announced) announce();
    announced = true;
    const heard = await trackHearing(room, stored.seq, hearAudio(room, stored));
    if (!room.state) return { consumed: false, wantsAi: false };
    if (heard) stored = heard.message;
    if (state.hearingFor === stored.seq) state.hearingFor = null;
  }
  // Nothing to answer: an attachment without words (or audio nobody could hear).
  if (!stored.text.trim()) answer = false;
  const wantsHuman = answer && state.handover === "ai" && asksForHuman(stored.text);
  let wantsAi = answer && state.handover === "ai" && !wantsHuman;
  // Written with the message (one implicit transaction): an eviction before the reply re-runs it.
  if (wantsAi) state.pendingReplyFor = stored.seq;
  room.save();
  if (!announced) announce();
  if (wantsHuman) initiateHandover(room, "phrase");
  // Held while programs look at it, so the alarm doesn't start the reply meanwhile.
  if (wantsAi) room.replies.hold(stored.seq);
  const consumed = await consultPrograms(room, stored.text);
  if (wantsAi && consumed) {
    room.replies.release(stored.seq);
    if (room.state?.pendingReplyFor === stored.seq) {
      room.state.pendingReplyFor = null;
      room.save();
    }
    wantsAi = false;
  }
  if (wantsAi) room.replies.queue(stored.seq);
  return { consumed, wantsAi };
}

/** consumed = the message answered a program question or was an opt-out: the AI doesn't answer it. */
async function consultPrograms(room: Room, text: string): Promise<boolean> {
  const state = room.state!;
  if (!state.endUserId) return false;
  // Known "no question waiting" (the common case) lets programs answer without a D1 query.
  const ticket = room.programQuestion.ask();
  const pendingQuestion = room.programQuestion.get();
  try {
    const r = await room.ports.onUserMessage(room.env, {
      creatorId: state.creatorId,
      endUserId: state.endUserId,
      conversationId: state.conversationId,
      text,
      ...(pendingQuestion !== undefined && { pendingQuestion }),
    });
    room.programQuestion.learn(ticket, r.pendingQuestion);
    return r.consumed;
  } catch (err) {
    // A failing program must not silence the chat: the message is answered as an ordinary one.
    log("error", "programs could not read a user message", { conversation_id: state.conversationId, error: String(err) });
    return false;
  }
}

/**
 * A reply owed by the durable state that this instance isn't working on: the instance that was
 * generating it died (crash, deploy, eviction). The owed mark is cleared in the same write that
 * stores the reply, so a reply is re-run only if it was never stored: exactly one reaches the chat.
 */
export function recoverReply(room: Room, userSeq: number): void {
  const state = room.state;
  if (state?.pendingReplyFor === userSeq && state.handover === "ai" && state.status !== "archived" && !room.replies.has(userSeq)) {
    room.replies.queue(userSeq);
  }
}

/** Hearings in progress in this instance, by user seq (a recovered one isn't started twice). */
const hearings = new WeakMap<Room, Map<number, Promise<unknown>>>();

function trackHearing<T>(room: Room, seq: number, work: Promise<T>): Promise<T> {
  const live = hearings.get(room) ?? new Map<number, Promise<unknown>>();
  hearings.set(room, live);
  live.set(seq, work);
  return work.finally(() => live.delete(seq));
}

/**
 * A voice note whose hearing an eviction cut off (the durable mark is still set, nobody here is
 * working on it): heard again and then answered like a fresh message. Resolves when that is done.
 */
export async function recoverHearing(room: Room): Promise<void> {
  const seq = room.state?.hearingFor;
  if (!seq) return;
  const running = hearings.get(room)?.get(seq);
  if (running) return void (await running.catch(() => undefined));
  const message = room.log.after(seq - 1, 1)[0];
  if (!message || message.seq !== seq || message.sender !== "user") {
    room.state!.hearingFor = null;
    return room.save();
  }
  await afterUserMessage(room, message, true, false, true);
}

/** Called when the object comes back to life: a socket connects or resumes, or the alarm fires. */
export function recoverOwedReply(room: Room): void {
  const owed = room.state?.pendingReplyFor;
  if (owed) recoverReply(room, owed);
  if (room.state?.hearingFor) void recoverHearing(room).catch((err: unknown) => log("error", "voice note recovery failed", { conversation_id: room.state?.conversationId, error: String(err) }));
}

/** The AI's reply: streamed to every socket, then stored and sent as the final message with sources. */
export async function answer(room: Room, userSeq: number): Promise<void> {
  const state = room.state;
  if (!state || state.handover !== "ai" || state.status === "archived") return;
  const done = await streamReply(room.env, state, room.log, userSeq, (f) => room.broadcast(f), (r) => (room.streaming = r), room.ports.answer);
  if (!done || !room.state) return;
  const stored = room.appendOutgoing({
    id: done.messageId,
    sender: "ai",
    text: done.result.response,
    sources: done.result.sources,
    ...(sendsThroughChannel(state) && { metadata: { confidence: done.result.confidence, reply_to_seq: userSeq } }),
  });
  if (state.pendingReplyFor === userSeq) {
    state.pendingReplyFor = null;
    room.save();
  }
  room.broadcast(messageFrame(stored));
  room.outbox.schedule();
  const threshold = await room.threshold.get(room.env, state.creatorId);
  if (threshold > 0 && done.result.confidence < threshold && state.handover === "ai") initiateHandover(room, "low_confidence");
}
