// The one door for every message programs and the proactive engine send to an end user.
// The message goes into the user's latest conversation through its Conversation Durable Object,
// which delivers it live (widget) or through the channel's send queue (Telegram/WhatsApp).
// Keep every outgoing write inside this file.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { newId } from "../../lib/ids";
import { conversationStub } from "../../realtime";
import type { WhatsAppTemplate } from "../channels";

export interface DeliveryInput {
  creatorId: string;
  endUserId: string;
  text: string;
  sender: "ai" | "system";
  kind: "program" | "proactive";
  /** Stable per step / per send: a retry with the same key never stores the message twice. */
  idempotencyKey: string;
  /** WhatsApp users: the approved template the channel sends instead of free text when the 24-hour
   * window is closed at send time (parameters already rendered for this user). */
  whatsappTemplate?: WhatsAppTemplate;
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
  const metadata = { kind: input.kind, ...(input.whatsappTemplate && user.channel === "whatsapp" ? { whatsapp_template: input.whatsappTemplate } : {}) };
  // The conversation's object is the only writer of its messages: it stores the message once per
  // key, shows it on the user's open widget tabs and, on Telegram/WhatsApp, queues the send.
  const stub = conversationStub(env, conversationId);
  const stored = await stub.post(conversationId, input.creatorId, { sender: input.sender, text: input.text, clientId: input.idempotencyKey, metadata });
  return { delivered: true, conversationId, messageId: stored.messageId, seq: stored.seq, ...(!stored.stored && { reason: "duplicate" }) };
}
