// The one door for every message programs and the proactive engine send to an end user.
// Today it writes the message into the user's latest conversation in D1; at merge the lead routes
// it through the conversation's Durable Object (widget) or the channel sender (Telegram/WhatsApp).
// Keep every outgoing write inside this file.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { newId } from "../../lib/ids";

export interface DeliveryInput {
  creatorId: string;
  endUserId: string;
  text: string;
  sender: "ai" | "system";
  kind: "program" | "proactive";
  /** Stable per step / per send: a retry with the same key never stores the message twice. */
  idempotencyKey: string;
  /** WhatsApp outside the 24-hour window: the approved template to send instead of free text. */
  whatsappTemplate?: { name: string; language?: string };
}

export interface DeliveryResult {
  delivered: boolean;
  reason?: string;
  conversationId?: string;
  messageId?: string;
  seq?: number;
}

interface UserRow {
  id: string;
  channel: string;
  status: string;
}

async function latestConversation(env: Env, creatorId: string, user: UserRow, at: string): Promise<string> {
  const found = await env.DB.prepare(
    `SELECT id FROM conversations WHERE creator_id = ? AND end_user_id = ?
     ORDER BY COALESCE(last_message_at, created_at) DESC LIMIT 1`,
  )
    .bind(creatorId, user.id)
    .first<{ id: string }>();
  if (found) return found.id;
  const id = newId();
  await env.DB.prepare(
    `INSERT INTO conversations (id, creator_id, end_user_id, channel, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'active', ?, ?)`,
  )
    .bind(id, creatorId, user.id, user.channel, at, at)
    .run();
  return id;
}

export async function deliverToEndUser(env: Env, input: DeliveryInput): Promise<DeliveryResult> {
  const user = await env.DB.prepare("SELECT id, channel, status FROM end_users WHERE id = ? AND creator_id = ?")
    .bind(input.endUserId, input.creatorId)
    .first<UserRow>();
  if (!user) return { delivered: false, reason: "unknown_user" };
  if (user.status !== "active") return { delivered: false, reason: "unreachable" };

  // A retry after a crash finds the message it already stored (in whichever conversation).
  const existing = await env.DB.prepare(
    "SELECT id, conversation_id, seq FROM messages WHERE creator_id = ? AND client_message_id = ? LIMIT 1",
  )
    .bind(input.creatorId, input.idempotencyKey)
    .first<{ id: string; conversation_id: string; seq: number }>();
  if (existing) return { delivered: true, conversationId: existing.conversation_id, messageId: existing.id, seq: existing.seq, reason: "duplicate" };

  const at = clock.iso();
  const conversationId = await latestConversation(env, input.creatorId, user, at);
  const messageId = newId();
  const metadata = JSON.stringify({ kind: input.kind, ...(input.whatsappTemplate ? { whatsapp_template: input.whatsappTemplate } : {}) });
  const deliveryStatus = user.channel === "telegram" || user.channel === "whatsapp" ? "queued" : null;
  // One transaction: take the next seq and store the message, both only if the key is new, so
  // two concurrent retries can neither store it twice nor burn a seq.
  const notYet = "NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND client_message_id = ?2)";
  await env.DB.batch([
    env.DB.prepare(`UPDATE conversations SET last_seq = last_seq + 1, last_message_at = ?3, updated_at = ?3 WHERE id = ?1 AND ${notYet}`).bind(
      conversationId,
      input.idempotencyKey,
      at,
    ),
    env.DB.prepare(
      `INSERT INTO messages (id, creator_id, conversation_id, seq, sender, text, client_message_id, delivery_status, metadata, created_at)
       SELECT ?3, creator_id, id, last_seq, ?4, ?5, ?2, ?6, ?7, ?8 FROM conversations WHERE id = ?1 AND ${notYet}`,
    ).bind(conversationId, input.idempotencyKey, messageId, input.sender, input.text, deliveryStatus, metadata, at),
  ]);
  const stored = await env.DB.prepare("SELECT id, seq FROM messages WHERE conversation_id = ? AND client_message_id = ?")
    .bind(conversationId, input.idempotencyKey)
    .first<{ id: string; seq: number }>();
  return { delivered: true, conversationId, messageId: stored?.id, seq: stored?.seq };
}
