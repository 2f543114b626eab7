// The conversation object's RPC for the REST API (src/modules/conversations): the live summary and
// the state changes an agent or the creator makes. The caller has already checked that the
// conversation is the creator's; the object checks it again against its own state.
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
