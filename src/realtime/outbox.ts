// The D1 mirror of a conversation, written from its Durable Object's outbox: unmirrored messages
// plus the conversation's current state and presence. Idempotent (a retried flush re-inserts nothing).
import { and, eq, sql } from "drizzle-orm";
import { tenant } from "../db/client";
import { conversationPresence, conversations, endUsers, messages } from "../db/schema";
import type { Env } from "../env";
import type { ConversationState, StoredMessage } from "./log";

export interface Presence {
  userSockets: number;
  agentSockets: number;
}

/** "gone": the conversation no longer exists in D1 (GDPR erasure): the object must forget it too. */
export async function mirrorToD1(
  env: Env,
  state: ConversationState,
  rows: StoredMessage[],
  presence: Presence,
): Promise<"ok" | "gone"> {
  const t = tenant(env.DB, state.creatorId);
  const now = new Date().toISOString();
  const last = rows.at(-1);
  const updated = await t.db
    .update(conversations)
    .set({
      status: state.status,
      assignedMemberId: state.agent?.id ?? null,
      // Reset: the stored AI context is emptied; only the point of the reset is kept.
      ...(state.clearContext && { context: { reset_at_seq: state.contextResetSeq } }),
      ...(last && {
        // Never move last_seq backwards if an older flush lands late.
        lastSeq: sql`max(${conversations.lastSeq}, ${last.seq})`,
        lastMessageAt: sql`max(coalesce(${conversations.lastMessageAt}, ''), ${last.createdAt})`,
      }),
      updatedAt: now,
    })
    .where(t.where(conversations, eq(conversations.id, state.conversationId)))
    .returning({ id: conversations.id });
  if (updated.length === 0) return "gone";

  const lastFromUser = rows.filter((m) => m.sender === "user").at(-1);
  const statements = [
    ...rows.map((m) =>
      t.db
        .insert(messages)
        .values({
          id: m.id,
          creatorId: state.creatorId,
          conversationId: state.conversationId,
          seq: m.seq,
          sender: m.sender,
          senderId: m.senderId ?? null,
          senderName: m.senderName ?? null,
          text: m.text,
          sources: m.sources ?? null,
          clientMessageId: m.clientId ?? null,
          createdAt: m.createdAt,
        })
        .onConflictDoNothing(),
    ),
    t.db
      .insert(conversationPresence)
      .values({ conversationId: state.conversationId, creatorId: state.creatorId, ...presence, updatedAt: now })
      .onConflictDoUpdate({
        target: conversationPresence.conversationId,
        set: { ...presence, updatedAt: now },
        setWhere: and(eq(conversationPresence.creatorId, state.creatorId)),
      }),
    ...(lastFromUser && state.endUserId
      ? [t.db.update(endUsers).set({ lastActiveAt: lastFromUser.createdAt }).where(t.where(endUsers, eq(endUsers.id, state.endUserId)))]
      : []),
  ];
  await t.db.batch(statements as [typeof statements[0], ...typeof statements]);
  return "ok";
}
