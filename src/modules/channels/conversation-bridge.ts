// The seam between channels and conversations: every conversation write of the channel adapters
// happens here. Today it writes D1 directly (seq from conversations.last_seq, bumped in the same
// transaction as the insert); at merge it is rerouted through the Conversation Durable Object.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { answer } from "../../ai/answer";
import { tenant } from "../../db/client";
import { conversations, messages, type ChannelKind } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { sha256Hex } from "../../lib/crypto";
import { notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { sendToEndUser } from "./outbound";

export type Sender = "user" | "ai" | "agent" | "system";

/** How many earlier turns the AI sees. */
const HISTORY_TURNS = 12;

/** A stable id per (channel, end user): concurrent first messages can't open two conversations. */
async function conversationIdFor(channelId: string, endUserId: string): Promise<string> {
  const h = await sha256Hex(`conversation:${channelId}:${endUserId}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The conversation of (channel, external chat), created on first contact; a closed one reopens. */
export async function openConversation(
  env: Env,
  input: { creatorId: string; channelId: string; channel: ChannelKind; endUserId: string },
): Promise<{ conversationId: string; status: string }> {
  const t = tenant(env.DB, input.creatorId);
  const id = await conversationIdFor(input.channelId, input.endUserId);
  // One round trip: create it, or reopen it if it was closed; either way read its status.
  const row = await t.db
    .insert(conversations)
    .values({ id, creatorId: t.creatorId, endUserId: input.endUserId, channel: input.channel, channelId: input.channelId })
    .onConflictDoUpdate({
      target: conversations.id,
      set: { status: sql`case when ${conversations.status} in ('completed', 'archived') then 'active' else ${conversations.status} end` },
      // The id is derived from (channel, end user); the creator check keeps another tenant's row untouched.
      setWhere: eq(conversations.creatorId, t.creatorId),
    })
    .returning({ status: conversations.status })
    .get();
  if (!row) throw notFound("Conversation");
  return { conversationId: id, status: row.status };
}

export interface StoreMessageInput {
  creatorId: string;
  conversationId: string;
  sender: Sender;
  text: string;
  senderId?: string;
  senderName?: string;
  /** Idempotency key within the conversation: a second store with it returns the first message. */
  clientMessageId?: string;
  deliveryStatus?: string;
  sources?: unknown[];
  metadata?: Record<string, unknown>;
}

export interface StoredMessage {
  stored: boolean;
  messageId: string;
  seq: number;
  createdAt: string;
}

/** Inserts with seq = last_seq + 1 and bumps last_seq in one transaction (D1 batches are atomic). */
export async function storeMessage(env: Env, input: StoreMessageInput): Promise<StoredMessage> {
  const id = newId();
  const at = nowIso();
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  const [, , inserted] = await env.DB.batch([
    env.DB.prepare(
      `INSERT OR IGNORE INTO messages (id, creator_id, conversation_id, seq, sender, sender_id, sender_name, text, sources, client_message_id, delivery_status, metadata, created_at)
       SELECT ?1, ?2, ?3, c.last_seq + 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 FROM conversations c WHERE c.id = ?3 AND c.creator_id = ?2`,
    ).bind(id, input.creatorId, input.conversationId, input.sender, input.senderId ?? null, input.senderName ?? null, input.text, json(input.sources), input.clientMessageId ?? null, input.deliveryStatus ?? null, json(input.metadata), at),
    env.DB.prepare(
      `UPDATE conversations SET last_seq = last_seq + 1, last_message_at = ?3, updated_at = ?3
       WHERE id = ?1 AND creator_id = ?2 AND EXISTS (SELECT 1 FROM messages WHERE id = ?4)`,
    ).bind(input.conversationId, input.creatorId, at, id),
    env.DB.prepare("SELECT id, seq, created_at FROM messages WHERE id = ?1").bind(id),
  ]);
  const row = inserted?.results?.[0] as { id: string; seq: number; created_at: string } | undefined;
  if (row) return { stored: true, messageId: row.id, seq: row.seq, createdAt: row.created_at };
  if (input.clientMessageId) {
    const t = tenant(env.DB, input.creatorId);
    const existing = await t.db
      .select({ id: messages.id, seq: messages.seq, createdAt: messages.createdAt })
      .from(messages)
      .where(t.where(messages, eq(messages.conversationId, input.conversationId), eq(messages.clientMessageId, input.clientMessageId)))
      .get();
    if (existing) return { stored: false, messageId: existing.id, seq: existing.seq, createdAt: existing.createdAt };
  }
  throw notFound("Conversation");
}

/** Stores the end user's message; `stored: false` when this platform message was stored before. */
export async function recordInbound(
  env: Env,
  input: { creatorId: string; conversationId: string; text: string; externalMessageId: string; endUserId: string; metadata?: Record<string, unknown> },
): Promise<{ stored: boolean; seq: number; messageId: string }> {
  const r = await storeMessage(env, {
    creatorId: input.creatorId,
    conversationId: input.conversationId,
    sender: "user",
    senderId: input.endUserId,
    text: input.text,
    clientMessageId: `in:${input.externalMessageId}`,
    metadata: { external_message_id: input.externalMessageId, ...input.metadata },
  });
  return { stored: r.stored, seq: r.seq, messageId: r.messageId };
}

/**
 * Answers a user message with the AI and sends the answer out — unless a human has the
 * conversation (waiting_human). At most one AI reply per user message, however often it is called.
 */
export async function replyWithAi(
  env: Env,
  input: { creatorId: string; conversationId: string; replyTo?: string },
): Promise<{ replied: boolean; messageId?: string; reason?: string }> {
  const t = tenant(env.DB, input.creatorId);
  const inConv = eq(messages.conversationId, input.conversationId);
  const targetQuery = t.db
    .select()
    .from(messages)
    .where(t.where(messages, inConv, eq(messages.sender, "user"), input.replyTo ? eq(messages.id, input.replyTo) : undefined))
    .orderBy(desc(messages.seq))
    .limit(1);
  // The conversation, the message to answer and whether it was answered, in one round trip.
  const [[conv], [target]] = await t.db.batch([
    t.db.select().from(conversations).where(t.where(conversations, eq(conversations.id, input.conversationId))),
    targetQuery,
  ]);
  if (!conv) throw notFound("Conversation");
  if (conv.status === "waiting_human") return { replied: false, reason: "waiting_human" };
  if (!target) return { replied: false, reason: "nothing_to_answer" };
  const replyKey = `reply:${target.id}`;
  const [[already], earlier] = await t.db.batch([
    t.db.select({ id: messages.id }).from(messages).where(t.where(messages, inConv, eq(messages.clientMessageId, replyKey))),
    t.db
      .select({ sender: messages.sender, text: messages.text })
      .from(messages)
      .where(and(t.where(messages, inConv), lt(messages.seq, target.seq)))
      .orderBy(desc(messages.seq))
      .limit(HISTORY_TURNS),
  ]);
  if (already) return { replied: false, messageId: already.id, reason: "already_answered" };
  const history = earlier
    .reverse()
    .filter((m) => m.sender !== "system")
    .map((m) => ({ role: m.sender === "user" ? ("user" as const) : ("assistant" as const), content: m.text }));
  const result = await answer(env, {
    creatorId: input.creatorId,
    conversationId: conv.id,
    message: target.text,
    knowledgeBaseId: conv.knowledgeBaseId ?? undefined,
    history,
  });
  // An agent may have taken over while the AI was thinking: their word wins.
  const now = await t.db.select({ status: conversations.status }).from(conversations).where(t.where(conversations, eq(conversations.id, conv.id))).get();
  if (now?.status === "waiting_human") return { replied: false, reason: "waiting_human" };
  const sent = await sendToEndUser(env, {
    creatorId: input.creatorId,
    conversationId: conv.id,
    text: result.response,
    sender: "ai",
    clientMessageId: replyKey,
    sources: result.sources,
    metadata: { model_used: result.model_used, confidence: result.confidence, reply_to: target.id },
  });
  return { replied: sent.stored, messageId: sent.messageId };
}

/** Delivery progress of an outbound message: queued → sent → delivered → read, or failed. */
const RANK: Record<string, number> = { queued: 0, sent: 1, delivered: 2, read: 3 };

/** Statuses arrive out of order (read before delivered): a later one never goes backwards, and a
 * message that reached the user doesn't become "failed" because of a late failure report. */
export function nextDeliveryStatus(current: string | null, incoming: string | undefined): string | null {
  if (!incoming) return current;
  const cur = current ?? "queued";
  if (incoming === "failed") return (RANK[cur] ?? 0) < RANK.delivered! ? "failed" : cur;
  if (cur === "failed") return (RANK[incoming] ?? 0) >= RANK.delivered! ? incoming : cur;
  return (RANK[incoming] ?? 0) > (RANK[cur] ?? 0) ? incoming : cur;
}

export async function updateDelivery(
  env: Env,
  input: { creatorId: string; messageId: string; status?: string; error?: string; metadata?: Record<string, unknown> },
): Promise<void> {
  const t = tenant(env.DB, input.creatorId);
  const where = t.where(messages, eq(messages.id, input.messageId));
  const row = await t.db.select({ status: messages.deliveryStatus, metadata: messages.metadata }).from(messages).where(where).get();
  if (!row) return;
  const metadata = { ...(row.metadata ?? {}), ...(input.metadata ?? {}), ...(input.error ? { delivery_error: input.error } : {}) };
  await t.db.update(messages).set({ deliveryStatus: nextDeliveryStatus(row.status, input.status), metadata }).where(where).run();
}

/** One part of an outbound message reached the platform: its id is mapped (for statuses) and the
 * progress saved in one round trip; the last part moves queued → sent (never back from delivered/read). */
export async function recordSentPart(
  env: Env,
  input: { creatorId: string; messageId: string; channelId: string; externalMessageId: string; partsSent: number; parts: number; externalIds: string[] },
): Promise<void> {
  const done = input.partsSent >= input.parts;
  const patch = { parts_sent: input.partsSent, parts: input.parts, external_message_ids: input.externalIds, ...(done ? { sent_at: nowIso() } : {}) };
  await env.DB.batch([
    env.DB.prepare(
      "INSERT OR IGNORE INTO channel_message_refs (channel_id, external_message_id, creator_id, message_id, part) VALUES (?1, ?2, ?3, ?4, ?5)",
    ).bind(input.channelId, input.externalMessageId, input.creatorId, input.messageId, input.partsSent - 1),
    env.DB.prepare(
      `UPDATE messages SET metadata = json_patch(coalesce(metadata, '{}'), ?1),
              delivery_status = CASE WHEN ?2 AND delivery_status = 'queued' THEN 'sent' ELSE delivery_status END
       WHERE id = ?3 AND creator_id = ?4`,
    ).bind(JSON.stringify(patch), done ? 1 : 0, input.messageId, input.creatorId),
  ]);
}

/** An edited inbound message is recorded on the original (not answered again). */
export async function recordEdit(
  env: Env,
  input: { creatorId: string; conversationId: string; externalMessageId: string; text: string; editedAt?: string },
): Promise<boolean> {
  const t = tenant(env.DB, input.creatorId);
  const where = t.where(messages, eq(messages.conversationId, input.conversationId), eq(messages.clientMessageId, `in:${input.externalMessageId}`));
  const row = await t.db.select({ metadata: messages.metadata }).from(messages).where(where).get();
  if (!row) return false;
  const edits = Array.isArray(row.metadata?.edits) ? (row.metadata!.edits as { text: string; at: string }[]) : [];
  const last = edits.at(-1);
  if (last && last.text === input.text && last.at === (input.editedAt ?? last.at)) return true; // a redelivery
  const metadata = { ...(row.metadata ?? {}), edited_text: input.text, edited_at: input.editedAt ?? nowIso(), edits: [...edits, { text: input.text, at: input.editedAt ?? nowIso() }] };
  await t.db.update(messages).set({ metadata }).where(where).run();
  return true;
}
