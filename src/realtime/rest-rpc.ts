// The conversation object's RPC for the REST API (src/modules/conversations) and the cron: the live
// summary and the state changes an agent, the creator or the idle sweep makes. The caller has already checked that the
// conversation is the creator's; the object checks it again against its own state.
import { newId } from "../lib/ids";
import { messageFrame } from "./ai-reply";
import type { ConversationState } from "./log";
import type { SocketIdentity } from "./authorize";
import { REVOKED_CLOSE_CODE, type CompletionReason } from "./protocol";
import { closeSockets } from "./sockets";
import type { ConversationSummary, RpcHost } from "./rpc";

export async function summary(host: RpcHost, conversationId: string, creatorId: string): Promise<ConversationSummary> {
  const state = await host.bindFor(conversationId, creatorId);
  return { conversationId, status: state.status, handover: state.handover, agent: state.agent, lastSeq: host.log.lastSeq, ...host.presence() };
}

/** Clears the AI context (later answers don't see earlier turns); the record and log stay. */
export async function reset(host: RpcHost, conversationId: string, creatorId: string): Promise<ConversationSummary> {
  const state = await host.bindFor(conversationId, creatorId);
  state.contextResetSeq = host.log.lastSeq;
  state.clearContext = true;
  state.pendingReplyFor = null;
  host.log.saveState(state);
  await host.outbox.flush();
  return summary(host, conversationId, creatorId);
}

export async function archive(host: RpcHost, conversationId: string, creatorId: string): Promise<ConversationSummary> {
  const state = await host.bindFor(conversationId, creatorId);
  if (state.handover !== "ai") host.releaseToAi();
  state.status = "archived";
  state.pendingReplyFor = null;
  host.log.saveState(state);
  await host.outbox.flush();
  return summary(host, conversationId, creatorId);
}

export async function release(host: RpcHost, conversationId: string, creatorId: string): Promise<ConversationSummary> {
  await host.bindFor(conversationId, creatorId);
  host.releaseToAi();
  await host.outbox.flush();
  return summary(host, conversationId, creatorId);
}

/**
 * Marks the conversation completed (Chatwoot's "resolve"): an agent or the creator closes the case,
 * or the cron's idle sweep does (`idleBefore`: only if its last message is older, as the object
 * itself sees it, since the D1 mirror lags). A human handover ends with it. The visitor's next
 * message reopens it as active. Returns false when nothing changed.
 */
export function markCompleted(host: RpcHost, state: ConversationState, reason: CompletionReason, idleBefore?: string): boolean {
  if (state.status === "completed" || state.status === "archived") return false;
  if (idleBefore !== undefined) {
    const last = host.log.after(host.log.lastSeq - 1, 1)[0];
    if (state.status !== "active" || state.handover !== "ai" || (last && last.createdAt >= idleBefore)) return false;
  }
  const agent = state.agent;
  state.status = "completed";
  state.handover = "ai";
  state.agent = null;
  state.pendingReplyFor = null;
  host.log.saveState(state);
  if (agent) host.broadcast({ type: "agent_left", agent, reason: "released" });
  host.broadcast({ type: "conversation_status", status: "completed", reason });
  // An agent's resolve is said in the chat (and through the channel); a silent idle sweep is not.
  if (reason === "resolved") {
    const note = host.appendOutgoing({ id: newId(), sender: "system", text: "This conversation has been marked as resolved.", metadata: { notice: "resolved" } });
    host.broadcast(messageFrame(note));
  }
  host.outbox.schedule(true);
  return true;
}

export async function complete(
  host: RpcHost,
  conversationId: string,
  creatorId: string,
  reason: CompletionReason,
  idleBefore?: string,
): Promise<ConversationSummary & { changed: boolean }> {
  const state = await host.bindFor(conversationId, creatorId);
  const changed = markCompleted(host, state, reason, idleBefore);
  await host.outbox.flush();
  return { ...(await summary(host, conversationId, creatorId)), changed };
}

/**
 * Closes the widget sockets whose token was revoked: one session's (it was ended), or all issued
 * before a key rotation (`epochBelow`, remembered so an old token can't connect in a race).
 */
export async function revokeWidgetSockets(
  host: RpcHost,
  conversationId: string,
  creatorId: string,
  revoke: { sessionId?: string; epochBelow?: number },
): Promise<number> {
  const state = await host.bindFor(conversationId, creatorId);
  if (revoke.epochBelow !== undefined && revoke.epochBelow > (state.widgetEpoch ?? 0)) {
    state.widgetEpoch = revoke.epochBelow;
    host.log.saveState(state, false);
  }
  const revoked = host.sockets("user").filter((ws) => {
    const who = ws.deserializeAttachment() as Extract<SocketIdentity, { role: "user" }>;
    return who.sessionId === revoke.sessionId || (revoke.epochBelow !== undefined && (who.epoch ?? 0) < revoke.epochBelow);
  });
  closeSockets(revoked, REVOKED_CLOSE_CODE, "Widget token revoked");
  return revoked.length;
}
