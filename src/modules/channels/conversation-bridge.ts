// The seam between channels and conversations: every message of a Telegram or WhatsApp conversation
// is written by its Conversation Durable Object (the only writer of its seqs; its outbox mirrors to
// D1). What stays here in D1: the conversation row, and the delivery progress the send job records
// on a mirrored message (the mirror inserts once and never overwrites those columns).
import { eq, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations, messages, type ChannelKind } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { sha256Hex } from "../../lib/crypto";
import { notFound } from "../../lib/errors";
import { conversationStub, type IngestResult, type PostResult, type Sender, type Source } from "../../realtime";

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
  sender: Exclude<Sender, "user">;
  text: string;
  senderId?: string;
  senderName?: string;
  /** Idempotency key within the conversation: a second store with it returns the first message. */
  clientMessageId?: string;
  deliveryStatus?: string;
  sources?: unknown[];
  metadata?: Record<string, unknown>;
  /** Channel conversations: also put the send on the queue (sendToEndUser does; a bare store doesn't). */
  enqueue?: boolean;
}

/** Stores a platform-side message through the conversation's object (the only writer of its seqs). */
export async function storeMessage(env: Env, input: StoreMessageInput): Promise<PostResult> {
  return conversationStub(env, input.conversationId).post(input.conversationId, input.creatorId, {
    sender: input.sender,
    text: input.text,
    ...(input.clientMessageId && { clientId: input.clientMessageId }),
    ...(input.senderId && { senderId: input.senderId }),
    ...(input.senderName && { senderName: input.senderName }),
    ...(input.deliveryStatus && { deliveryStatus: input.deliveryStatus }),
    ...(input.metadata && { metadata: input.metadata }),
    ...(input.sources && { sources: input.sources as Source[] }),
    send: input.enqueue ?? false,
  });
}

/**
 * The end user's message into the conversation's object: stored once per platform message id, seen
 * live by agents, then programs, handover and the AI reply (sent out through the channel) — all
 * decided by the object. `answer: false` stores it without an AI reply (/start, media).
 */
export async function ingestInbound(
  env: Env,
  input: { creatorId: string; conversationId: string; text: string; externalMessageId: string; endUserId: string; metadata?: Record<string, unknown>; answer?: boolean },
): Promise<IngestResult> {
  return conversationStub(env, input.conversationId).ingest(input.conversationId, input.creatorId, {
    text: input.text,
    clientId: `in:${input.externalMessageId}`,
    endUserId: input.endUserId,
    metadata: { external_message_id: input.externalMessageId, ...input.metadata },
    ...(input.answer === false && { answer: false }),
  });
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
  input: { creatorId: string; messageId: string; channelId: string; externalMessageId: string; partsSent: number; parts: number; externalIds: string[]; metadata?: Record<string, unknown> },
): Promise<void> {
  const done = input.partsSent >= input.parts;
  const patch = { ...input.metadata, parts_sent: input.partsSent, parts: input.parts, external_message_ids: input.externalIds, ...(done ? { sent_at: nowIso() } : {}) };
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
  // The original may still be on its way to the D1 mirror.
  await conversationStub(env, input.conversationId).flushOutbox();
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
