// The first state of a conversation's object, read once from its D1 row.
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { conversations } from "../db/schema";
import type { Env } from "../env";
import type { ConversationState } from "./log";

/** Not tenant-scoped on purpose: this read learns the owner; every caller is then checked against it. */
export async function readConversationState(env: Env, conversationId: string): Promise<(ConversationState & { d1LastSeq: number }) | null> {
  const row = await getDb(env.DB).select().from(conversations).where(eq(conversations.id, conversationId)).get();
  if (!row) return null;
  return {
    // Messages D1 got before this object existed (imported history): the log numbers on after them.
    d1LastSeq: row.lastSeq,
    conversationId,
    creatorId: row.creatorId,
    endUserId: row.endUserId,
    knowledgeBaseId: row.knowledgeBaseId,
    channel: row.channel,
    status: row.status,
    handover: row.status === "waiting_human" ? "waiting" : "ai",
    agent: null,
    contextResetSeq: 0,
    clearContext: false,
    pendingReplyFor: null,
  };
}
