// Conversations of a creator: reads from the D1 mirror; changes go through the conversation's Durable
// Object (the live source of truth), which writes D1 through its outbox before answering.
import { and, asc, count, desc, eq, gt } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations, messages, widgetSessions } from "../../db/schema";
import type { Env } from "../../env";
import { AppError, notFound } from "../../lib/errors";
import { conversationStub } from "../../realtime";
import { detectIntent, extractEntities } from "../../ai/intent";
import { recall } from "../memory";

type ConversationRow = typeof conversations.$inferSelect;
type MessageRow = typeof messages.$inferSelect;

export function presentConversation(r: ConversationRow) {
  return {
    id: r.id,
    creator_id: r.creatorId,
    end_user_id: r.endUserId,
    channel: r.channel,
    status: r.status,
    assigned_member_id: r.assignedMemberId,
    context: r.context,
    metadata: r.metadata,
    last_seq: r.lastSeq,
    last_message_at: r.lastMessageAt,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function presentMessage(m: MessageRow) {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    seq: m.seq,
    sender: m.sender,
    sender_id: m.senderId,
    sender_name: m.senderName,
    text: m.text,
    sources: m.sources ?? null,
    client_message_id: m.clientMessageId,
    attachments: messageAttachments(m.metadata),
    transcription: messageTranscription(m.metadata),
    created_at: m.createdAt,
  };
}

/** What speech to text made of the message's audio (written by the conversation's object, src/realtime/transcription.ts). */
export function messageTranscription(metadata: Record<string, unknown> | null) {
  const t = metadata?.transcription as Record<string, unknown> | undefined;
  if (!t || (t.status !== "transcribed" && t.status !== "unavailable" && t.status !== "failed")) return null;
  return {
    status: t.status as "transcribed" | "unavailable" | "failed",
    file_id: String(t.file_id ?? ""),
    ...(typeof t.language === "string" && { language: t.language }),
    ...(typeof t.model === "string" && { model: t.model }),
    ...(typeof t.message === "string" && { message: t.message }),
  };
}

/** Files a message carries (message metadata, written by the conversation's object; module files). */
export function messageAttachments(metadata: Record<string, unknown> | null) {
  const list = Array.isArray(metadata?.attachments) ? (metadata.attachments as Record<string, unknown>[]) : [];
  return list
    .filter((a) => typeof a?.id === "string" && typeof a.url === "string")
    .map((a) => ({ id: a.id as string, name: String(a.name ?? "file"), content_type: String(a.content_type ?? "application/octet-stream"), size: Number(a.size ?? 0), download_url: a.url as string }));
}

export async function listConversations(
  env: Env,
  creatorId: string,
  q: { status?: ConversationRow["status"]; channel?: ConversationRow["channel"]; page: number; limit: number },
) {
  const t = tenant(env.DB, creatorId);
  const where = t.where(
    conversations,
    q.status ? eq(conversations.status, q.status) : undefined,
    q.channel ? eq(conversations.channel, q.channel) : undefined,
  );
  const [rows, [total]] = await Promise.all([
    t.db
      .select()
      .from(conversations)
      .where(where)
      // Waiting conversations are worked oldest first; the rest newest first.
      .orderBy(q.status === "waiting_human" ? asc(conversations.updatedAt) : desc(conversations.updatedAt), desc(conversations.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit)
      .all(),
    t.db.select({ n: count() }).from(conversations).where(where).all(),
  ]);
  const n = total?.n ?? 0;
  return {
    conversations: rows.map(presentConversation),
    pagination: { page: q.page, limit: q.limit, total: n, pages: Math.ceil(n / q.limit) },
  };
}

async function row(env: Env, creatorId: string, conversationId: string): Promise<ConversationRow> {
  const t = tenant(env.DB, creatorId);
  const found = await t.db.select().from(conversations).where(t.where(conversations, eq(conversations.id, conversationId))).get();
  if (!found) throw notFound("Conversation");
  return found;
}

/** One conversation, with what the assistant remembers of its end user (agents see it beside the chat). */
export async function getConversation(env: Env, creatorId: string, conversationId: string) {
  const r = await row(env, creatorId, conversationId);
  const memory = r.endUserId ? await recall(env, creatorId, r.endUserId, { type: "long_term" }) : [];
  return {
    ...presentConversation(r),
    memory: memory.map((m) => ({ key: m.key, value: m.value, source: typeof m.metadata?.source === "string" ? m.metadata.source : null, updated_at: m.updatedAt })),
  };
}

export async function listMessages(env: Env, creatorId: string, conversationId: string, q: { after_seq: number; limit: number }) {
  await row(env, creatorId, conversationId);
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select()
    .from(messages)
    .where(t.where(messages, and(eq(messages.conversationId, conversationId), gt(messages.seq, q.after_seq))))
    .orderBy(asc(messages.seq))
    .limit(q.limit + 1)
    .all();
  const page = rows.slice(0, q.limit);
  return { messages: page.map(presentMessage), next_after_seq: rows.length > q.limit ? page.at(-1)!.seq : null };
}

type Action = "reset" | "archive" | "release" | "complete";

/**
 * Runs a state change inside the conversation's object, then answers with the D1 row it wrote, read
 * through a D1 session at the object's bookmark (at least as fresh as its write, replica or not);
 * the bookmark goes back to the client (X-D1-Bookmark) so its next reads see the change too.
 */
export async function changeConversation(env: Env, creatorId: string, conversationId: string, action: Action) {
  const before = await row(env, creatorId, conversationId);
  if (action === "complete" && before.status === "archived") throw new AppError("CONFLICT", "An archived conversation can't be completed");
  const stub = conversationStub(env, conversationId);
  const summary =
    action === "reset"
      ? await stub.reset(conversationId, creatorId)
      : action === "archive"
        ? await stub.archive(conversationId, creatorId)
        : action === "complete"
          ? await stub.complete(conversationId, creatorId, "resolved")
          : await stub.release(conversationId, creatorId);
  const bookmark = summary.d1Bookmark ?? null;
  const session = env.DB.withSession(bookmark ?? "first-primary");
  const after = await row({ ...env, DB: session as unknown as D1Database }, creatorId, conversationId);
  return { body: presentConversation(after), bookmark: session.getBookmark() ?? bookmark };
}

/** The AI's view of a conversation: the turns since the last reset, the stored context, the last interaction. */
export async function conversationContext(env: Env, creatorId: string, conversationId: string) {
  const conversation = await row(env, creatorId, conversationId);
  const t = tenant(env.DB, creatorId);
  const resetAt = typeof conversation.context.reset_at_seq === "number" ? conversation.context.reset_at_seq : 0;
  const recent = await t.db
    .select()
    .from(messages)
    .where(t.where(messages, and(eq(messages.conversationId, conversationId), gt(messages.seq, resetAt))))
    .orderBy(desc(messages.seq))
    .limit(20)
    .all();
  const [total] = await t.db.select({ n: count() }).from(messages).where(t.where(messages, eq(messages.conversationId, conversationId))).all();
  const entities = conversation.context.entities;
  const chronological = recent.reverse();
  const lastAi = [...chronological].reverse().find((m) => m.sender === "ai");
  // Intent of the latest user message and entities of the user's turns (src/ai/intent.ts rules), and
  // what the assistant remembers about this end user (module memory).
  const userTurns = chronological.filter((m) => m.sender === "user");
  const lastUser = userTurns.at(-1);
  const extracted = extractEntities(userTurns.map((m) => m.text).join("\n"));
  const memory = conversation.endUserId ? await recall(env, creatorId, conversation.endUserId) : [];
  return {
    conversation_id: conversation.id,
    status: conversation.status,
    history: chronological
      .filter((m) => m.sender !== "system")
      .map((m) => ({ role: m.sender === "user" ? ("user" as const) : ("assistant" as const), content: m.text, seq: m.seq, created_at: m.createdAt })),
    intent: lastUser ? detectIntent(lastUser.text) : null,
    entities: { ...(entities && typeof entities === "object" && !Array.isArray(entities) ? (entities as Record<string, unknown>) : {}), ...extracted },
    memory: memory.map((m) => ({ type: m.type, key: m.key, value: m.value, updated_at: m.updatedAt })),
    last_interaction: conversation.lastMessageAt,
    message_count: total?.n ?? 0,
    channel: conversation.channel,
    knowledge_base_id: conversation.knowledgeBaseId,
    messages: chronological.map((m) => ({ id: m.id, seq: m.seq, sender: m.sender, text: m.text, created_at: m.createdAt })),
    last_sources: (lastAi?.sources as unknown[] | null) ?? [],
  };
}

/**
 * GET /api/core/sessions/{session_id}/context: a widget session names its conversation; other
 * channels have no session, so their conversation id is accepted as the session id.
 */
export async function sessionContext(env: Env, creatorId: string, sessionId: string) {
  const t = tenant(env.DB, creatorId);
  const session = await t.db.select({ conversationId: widgetSessions.conversationId }).from(widgetSessions).where(t.where(widgetSessions, eq(widgetSessions.id, sessionId))).get();
  const conversationId = session?.conversationId ?? sessionId;
  const [conversation, ctx] = await Promise.all([row(env, creatorId, conversationId), conversationContext(env, creatorId, conversationId)]);
  return {
    sessionId,
    conversationId,
    userId: conversation.endUserId,
    channel: ctx.channel,
    context: {
      conversation_history: ctx.history.map((h) => ({ role: h.role, content: h.content })),
      entities: ctx.entities,
      intent: ctx.intent?.name ?? null,
      intent_confidence: ctx.intent?.confidence ?? null,
      memory: Object.fromEntries(ctx.memory.filter((m) => m.type === "long_term").map((m) => [m.key, m.value])),
      last_interaction: ctx.last_interaction,
    },
  };
}
