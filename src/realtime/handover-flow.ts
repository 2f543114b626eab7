// The handover's state changes inside a conversation's object: to a human (asked for, a phrase, low
// confidence), an agent joining, going back to the AI, and an agent's last socket going away. Each
// saves the state and its notice in one write, then tells every socket and pushes D1 at once (the
// agents' queue reads it).
import { newId } from "../lib/ids";
import { messageFrame } from "./ai-reply";
import type { SocketIdentity } from "./authorize";
import type { ConversationState } from "./log";
import type { RpcHost } from "./rpc";

type Agent = Extract<SocketIdentity, { role: "agent" }>;

export function initiateHandover(host: RpcHost, state: ConversationState, reason: "user_request" | "phrase" | "low_confidence"): void {
  state.handover = "waiting";
  state.status = "waiting_human";
  state.pendingReplyFor = null;
  host.log.saveState(state);
  const text = "Connecting you with a human agent…";
  const note = host.appendOutgoing({ id: newId(), sender: "system", text, metadata: { notice: "handover_initiated" } });
  host.broadcast({ type: "handover_initiated", message: text, reason });
  host.broadcast(messageFrame(note));
  host.outbox.schedule(true);
}

export function agentJoined(host: RpcHost, state: ConversationState, who: Agent): void {
  if (state.handover === "agent" && state.agent?.id === who.memberId) return;
  state.handover = "agent";
  state.agent = { id: who.memberId, name: who.name };
  if (state.status !== "archived") state.status = "waiting_human";
  state.pendingReplyFor = null;
  host.log.saveState(state);
  const note = host.appendOutgoing({
    id: newId(),
    sender: "system",
    text: `${who.name} joined the conversation`,
    metadata: { notice: "agent_joined", notice_name: who.name },
  });
  host.broadcast({ type: "agent_joined", agent: { id: who.memberId, name: who.name } });
  host.broadcast(messageFrame(note));
  host.outbox.schedule(true);
}

export function releaseToAi(host: RpcHost, state: ConversationState): void {
  if (state.handover === "ai") return;
  const agent = state.agent;
  state.handover = "ai";
  state.agent = null;
  if (state.status === "waiting_human") state.status = "active";
  host.log.saveState(state);
  const note = host.appendOutgoing({ id: newId(), sender: "system", text: "You are back with the assistant.", metadata: { notice: "released" } });
  host.broadcast({ type: "agent_left", agent, reason: "released" });
  host.broadcast(messageFrame(note));
  host.outbox.schedule(true);
}

/** The agent in charge closed their last socket: still in human hands, waiting for an agent until one releases it. */
export function agentGone(host: RpcHost, state: ConversationState, who: Agent, ws: WebSocket): void {
  if (state.handover !== "agent" || state.agent?.id !== who.memberId) return;
  const stillHere = host
    .sockets("agent")
    .some((s) => s !== ws && s.readyState === WebSocket.OPEN && (s.deserializeAttachment() as Agent).memberId === who.memberId);
  if (stillHere) return;
  const agent = state.agent;
  state.handover = "waiting";
  state.agent = null;
  host.log.saveState(state);
  host.broadcast({ type: "agent_left", agent, reason: "disconnected" }, ws);
}
