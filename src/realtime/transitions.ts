// The one owner of a conversation's state transitions: status (active, waiting_human, completed,
// archived), handover (ai → waiting → agent and back) and completion. Each saves the state and its
// notice in one write, then tells every socket and pushes D1 at once (the agents' queue reads it).
import { newId } from "../lib/ids";
import { messageFrame } from "./ai-reply";
import type { CompletionReason } from "./protocol";
import type { Room } from "./room";
import type { AgentIdentity } from "./socket-identity";

export type HandoverReason = "user_request" | "phrase" | "low_confidence";

export function initiateHandover(room: Room, reason: HandoverReason): void {
  const state = room.state!;
  state.handover = "waiting";
  state.status = "waiting_human";
  state.pendingReplyFor = null;
  room.save();
  const text = "Connecting you with a human agent…";
  const note = room.appendOutgoing({ id: newId(), sender: "system", text, metadata: { notice: "handover_initiated" } });
  room.broadcast({ type: "handover_initiated", message: text, reason });
  room.broadcast(messageFrame(note));
  room.outbox.schedule(true);
}

export function agentJoined(room: Room, who: AgentIdentity): void {
  const state = room.state!;
  if (state.handover === "agent" && state.agent?.id === who.memberId) return;
  state.handover = "agent";
  state.agent = { id: who.memberId, name: who.name };
  if (state.status !== "archived") state.status = "waiting_human";
  state.pendingReplyFor = null;
  room.save();
  const note = room.appendOutgoing({
    id: newId(),
    sender: "system",
    text: `${who.name} joined the conversation`,
    metadata: { notice: "agent_joined", notice_name: who.name },
  });
  room.broadcast({ type: "agent_joined", agent: { id: who.memberId, name: who.name } });
  room.broadcast(messageFrame(note));
  room.outbox.schedule(true);
}

/** Hands the conversation back to the AI (agent_left to everyone); nothing when the AI has it. */
export function releaseToAi(room: Room): void {
  const state = room.state!;
  if (state.handover === "ai") return;
  const agent = state.agent;
  state.handover = "ai";
  state.agent = null;
  if (state.status === "waiting_human") state.status = "active";
  room.save();
  const note = room.appendOutgoing({ id: newId(), sender: "system", text: "You are back with the assistant.", metadata: { notice: "released" } });
  room.broadcast({ type: "agent_left", agent, reason: "released" });
  room.broadcast(messageFrame(note));
  room.outbox.schedule(true);
}

/** The agent in charge closed their last socket: still in human hands, waiting for an agent until one releases it. */
export function agentGone(room: Room, who: AgentIdentity, ws: WebSocket): void {
  const state = room.state!;
  if (state.handover !== "agent" || state.agent?.id !== who.memberId) return;
  const stillHere = room
    .sockets("agent")
    .some((s) => s !== ws && s.readyState === WebSocket.OPEN && (s.deserializeAttachment() as AgentIdentity).memberId === who.memberId);
  if (stillHere) return;
  const agent = state.agent;
  state.handover = "waiting";
  state.agent = null;
  room.save();
  room.broadcast({ type: "agent_left", agent, reason: "disconnected" }, ws);
}

/**
 * A user message arrives: a completed conversation is reopened (said on the sockets), and a channel
 * chat (one conversation per contact) is reopened even when archived, as its D1 row was. The state
 * is saved by the caller with the message.
 */
export function reopenForMessage(room: Room, fromChannel: boolean): boolean {
  const state = room.state!;
  if (fromChannel && state.status === "archived") state.status = "active";
  if (state.status !== "completed") return false;
  state.status = "active";
  return true;
}

/**
 * Marks the conversation completed (Chatwoot's "resolve"): an agent or the creator closes the case,
 * or the cron's idle sweep does (`idleBefore`: only if its last message is older, as the object
 * itself sees it, since the D1 mirror lags). A human handover ends with it. The visitor's next
 * message reopens it as active. Returns false when nothing changed.
 */
export function markCompleted(room: Room, reason: CompletionReason, idleBefore?: string): boolean {
  const state = room.state!;
  if (state.status === "completed" || state.status === "archived") return false;
  if (idleBefore !== undefined) {
    const last = room.log.after(room.log.lastSeq - 1, 1)[0];
    if (state.status !== "active" || state.handover !== "ai" || (last && last.createdAt >= idleBefore)) return false;
  }
  const agent = state.agent;
  state.status = "completed";
  state.handover = "ai";
  state.agent = null;
  state.pendingReplyFor = null;
  room.save();
  if (agent) room.broadcast({ type: "agent_left", agent, reason: "released" });
  room.broadcast({ type: "conversation_status", status: "completed", reason });
  // An agent's resolve is said in the chat (and through the channel); a silent idle sweep is not.
  if (reason === "resolved") {
    const note = room.appendOutgoing({ id: newId(), sender: "system", text: "This conversation has been marked as resolved.", metadata: { notice: "resolved" } });
    room.broadcast(messageFrame(note));
  }
  room.outbox.schedule(true);
  return true;
}

/** Archived by the creator: a human handover ends, no reply is owed any more. */
export function archive(room: Room): void {
  const state = room.state!;
  if (state.handover !== "ai") releaseToAi(room);
  state.status = "archived";
  state.pendingReplyFor = null;
  room.save();
}

/** Clears the AI context (later answers don't see earlier turns); the record and log stay. */
export function resetContext(room: Room): void {
  const state = room.state!;
  state.contextResetSeq = room.log.lastSeq;
  state.clearContext = true;
  state.pendingReplyFor = null;
  room.save();
}
