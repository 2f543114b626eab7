// Chat management of ai-chat-app-api.md over our conversations: a chat is a conversation (created on
// the "api" channel), its model is the configured provider's chat model, and deleting one takes its
// messages, files and the object's storage with it.
import { count, desc, eq, inArray } from "drizzle-orm";
import { tenant } from "../../db/client";
import {
  channelMessageRefs,
  conversationAnalytics,
  conversationPresence,
  conversationRatings,
  conversations,
  messages,
  unansweredQuestions,
  widgetSessions,
} from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { aiProvider } from "../../ai/providers";
import { invalid, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { conversationStub } from "../../realtime";
import { listMessages } from "../conversations/service";
import { deleteConversationFiles, listConversationFiles } from "../files";
import { findKnowledgeBase } from "../knowledge/knowledge-bases";

type ConversationRow = typeof conversations.$inferSelect;

/**
 * The chat models a chat may name: the configured provider's chat model. (A model registry across
 * several providers is another part of issue 14; until it lands this is the one model that answers.)
 */
export function availableChatModels(env: Env): { model_id: string; model_api_source: string }[] {
  return [{ model_id: aiProvider(env).chatModel, model_api_source: config(env).aiProvider }];
}

function chooseModel(env: Env, input: { model_id?: string; model_api_source?: string }) {
  const models = availableChatModels(env);
  const named = input.model_id?.includes(":") && !input.model_api_source ? input.model_id.split(/:(.*)/s) : null;
  const source = input.model_api_source ?? named?.[0];
  const model = named ? named[1] : input.model_id;
  const found = models.find((m) => (!source || m.model_api_source === source) && (!model || m.model_id === model));
  if (!found) {
    const offered = models.map((m) => `${m.model_api_source}:${m.model_id}`).join(", ");
    throw invalid([{ field: input.model_id ? "model_id" : "model_api_source", message: `Not a configured chat model; available: ${offered}` }]);
  }
  return found;
}

function presentChat(env: Env, r: ConversationRow) {
  const fallback = availableChatModels(env)[0]!;
  const meta = r.metadata ?? {};
  return {
    chat_id: r.id,
    user_id: r.endUserId,
    channel: r.channel,
    status: r.status,
    title: typeof meta.title === "string" ? meta.title : null,
    current_model_id: typeof meta.model_id === "string" ? meta.model_id : fallback.model_id,
    current_model_api_source: typeof meta.model_api_source === "string" ? meta.model_api_source : fallback.model_api_source,
    knowledge_base_id: r.knowledgeBaseId,
    last_message_at: r.lastMessageAt,
    created_timestamp: r.createdAt,
  };
}

async function chatRow(env: Env, creatorId: string, chatId: string): Promise<ConversationRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(conversations).where(t.where(conversations, eq(conversations.id, chatId))).get();
  if (!row) throw notFound("Chat");
  return row;
}

export async function listChats(env: Env, creatorId: string, q: { page: number; limit: number; channel?: ConversationRow["channel"] }) {
  const t = tenant(env.DB, creatorId);
  const where = t.where(conversations, q.channel ? eq(conversations.channel, q.channel) : undefined);
  const [rows, [total]] = await Promise.all([
    t.db.select().from(conversations).where(where).orderBy(desc(conversations.createdAt), desc(conversations.id)).limit(q.limit).offset((q.page - 1) * q.limit).all(),
    t.db.select({ n: count() }).from(conversations).where(where).all(),
  ]);
  const n = total?.n ?? 0;
  return { chats: rows.map((r) => presentChat(env, r)), pagination: { page: q.page, limit: q.limit, total: n, pages: Math.ceil(n / q.limit) } };
}

export async function createChat(env: Env, creatorId: string, input: { model_id?: string; model_api_source?: string; knowledge_base_id?: string; title?: string }) {
  const model = chooseModel(env, input);
  if (input.knowledge_base_id) await findKnowledgeBase(env, creatorId, input.knowledge_base_id);
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .insert(conversations)
    .values({
      id: newId(),
      creatorId,
      channel: "api",
      knowledgeBaseId: input.knowledge_base_id ?? null,
      metadata: { model_id: model.model_id, model_api_source: model.model_api_source, ...(input.title && { title: input.title }) },
    })
    .returning()
    .get();
  return { ...presentChat(env, row), files: [] };
}

export async function getChat(env: Env, creatorId: string, chatId: string) {
  const row = await chatRow(env, creatorId, chatId);
  return { ...presentChat(env, row), files: await listConversationFiles(env, creatorId, chatId) };
}

export async function chatMessages(env: Env, creatorId: string, chatId: string, q: { after_seq: number; limit: number }) {
  await chatRow(env, creatorId, chatId);
  const page = await listMessages(env, creatorId, chatId, q);
  return {
    messages: page.messages.map((m) => ({
      message_id: m.id,
      chat_id: m.conversation_id,
      seq: m.seq,
      role: m.sender === "user" ? ("user" as const) : m.sender === "system" ? ("system" as const) : ("assistant" as const),
      sender: m.sender,
      content: m.text,
      files: m.attachments.map((a) => a.id),
      attachments: m.attachments,
      timestamp: m.created_at,
    })),
    next_after_seq: page.next_after_seq,
  };
}

/**
 * Deletes a chat: the conversation's object first (sockets closed with 4404, log and state erased:
 * the GDPR path, so nothing writes back), then every D1 row about it and its files in R2, then the
 * object once more in case a message landed in between.
 */
export async function deleteChat(env: Env, creatorId: string, chatId: string) {
  await chatRow(env, creatorId, chatId);
  const stub = () => conversationStub(env, chatId);
  const { erased } = await stub().erase(chatId, creatorId);
  const t = tenant(env.DB, creatorId);
  const [, deletedMessages] = await t.db.batch([
    t.db
      .delete(channelMessageRefs)
      .where(
        t.where(
          channelMessageRefs,
          inArray(channelMessageRefs.messageId, t.db.select({ id: messages.id }).from(messages).where(t.where(messages, eq(messages.conversationId, chatId)))),
        ),
      ),
    t.db.delete(messages).where(t.where(messages, eq(messages.conversationId, chatId))).returning({ id: messages.id }),
    t.db.delete(conversationPresence).where(t.where(conversationPresence, eq(conversationPresence.conversationId, chatId))),
    t.db.delete(conversationRatings).where(t.where(conversationRatings, eq(conversationRatings.conversationId, chatId))),
    t.db.delete(conversationAnalytics).where(t.where(conversationAnalytics, eq(conversationAnalytics.conversationId, chatId))),
    t.db.delete(unansweredQuestions).where(t.where(unansweredQuestions, eq(unansweredQuestions.conversationId, chatId))),
    // The visitor's session goes too: its widget tokens stop working (they need the session row).
    t.db.delete(widgetSessions).where(t.where(widgetSessions, eq(widgetSessions.conversationId, chatId))),
    t.db.delete(conversations).where(t.where(conversations, eq(conversations.id, chatId))),
  ]);
  const files = await deleteConversationFiles(env, creatorId, chatId);
  await stub().erase(chatId, creatorId);
  log("info", "chat.deleted", { creator_id: creatorId, conversation_id: chatId, messages: deletedMessages.length, files });
  return { chat_id: chatId, deleted: true as const, messages: deletedMessages.length, files, conversation_object: erased };
}
