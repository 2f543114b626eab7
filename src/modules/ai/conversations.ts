// The AI REST conversation: POST /api/v1/ai/conversations creates or continues a conversation on the
// "api" channel and answers through the shared answer pipeline, streamed or whole. Both turns are
// written by the conversation's object, like every other channel's: one sequence, one history length.
import { desc, eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations, messages } from "../../db/schema";
import type { Env } from "../../env";
import { streamAnswer, type AnswerResult } from "../../ai/answer";
import { conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { conversationStub, HISTORY_TURNS } from "../../realtime";
import { findKnowledgeBase } from "../knowledge";

export interface ConverseInput {
  message: string;
  conversation_id?: string;
  knowledge_base_id?: string;
}

/** `bookmark`: D1 Sessions, the bookmark once D1 has the answer (the route hands it back as X-D1-Bookmark). */
export type ConverseEvent = { type: "delta"; delta: string } | { type: "done"; body: AiResponse; bookmark?: string };
export type AiResponse = Omit<AnswerResult, "sources"> & { conversation_id: string; message_id: string; sources_count: number; sources: AnswerResult["sources"] };

export async function openConversation(env: Env, creatorId: string, input: ConverseInput) {
  const t = tenant(env.DB, creatorId);
  if (input.knowledge_base_id) await findKnowledgeBase(env, creatorId, input.knowledge_base_id);
  if (input.conversation_id) {
    const row = await t.db.select().from(conversations).where(t.where(conversations, eq(conversations.id, input.conversation_id))).get();
    if (!row) throw notFound("Conversation");
    // A conversation is continued on its own channel (a widget chat is not answered over REST).
    if (row.channel !== "api") throw conflict(`This conversation belongs to the ${row.channel} channel; continue it there`);
    if (input.knowledge_base_id && input.knowledge_base_id !== row.knowledgeBaseId) {
      await t.db.update(conversations).set({ knowledgeBaseId: input.knowledge_base_id }).where(t.where(conversations, eq(conversations.id, row.id))).run();
      row.knowledgeBaseId = input.knowledge_base_id;
    }
    return row;
  }
  return t.db
    .insert(conversations)
    .values({ id: newId(), creatorId, channel: "api", knowledgeBaseId: input.knowledge_base_id ?? null })
    .returning()
    .get();
}

export async function history(env: Env, creatorId: string, conversationId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select({ sender: messages.sender, text: messages.text })
    .from(messages)
    .where(t.where(messages, eq(messages.conversationId, conversationId)))
    .orderBy(desc(messages.seq))
    .limit(HISTORY_TURNS)
    .all();
  return rows
    .reverse()
    .filter((m) => m.sender === "user" || m.sender === "ai")
    .map((m) => ({ role: m.sender === "user" ? ("user" as const) : ("assistant" as const), content: m.text }));
}

export async function* converse(env: Env, creatorId: string, input: ConverseInput): AsyncGenerator<ConverseEvent> {
  const conversation = await openConversation(env, creatorId, input);
  // Read before this turn is stored: the question itself is not history. D1 is current here, since the
  // object's post/ingest resolve only once their messages are mirrored.
  const past = await history(env, creatorId, conversation.id);
  const stub = conversationStub(env, conversation.id);
  // The answer is streamed here, to the HTTP caller, so the object stores the question without one.
  await stub.ingest(conversation.id, creatorId, { text: input.message, clientId: `api:${newId()}`, answer: false });
  let result: AnswerResult | undefined;
  for await (const event of streamAnswer(env, {
    creatorId,
    message: input.message,
    conversationId: conversation.id,
    knowledgeBaseId: conversation.knowledgeBaseId ?? undefined,
    history: past,
  })) {
    if (event.type === "delta") yield event;
    else result = event.result;
  }
  if (!result) throw new Error("answer stream ended without a result");
  const stored = await stub.post(conversation.id, creatorId, {
    sender: "ai",
    text: result.response,
    sources: result.sources,
    metadata: { model_used: result.model_used, confidence: result.confidence },
  });
  yield {
    type: "done",
    body: { ...result, conversation_id: conversation.id, message_id: stored.messageId, sources_count: result.sources.length },
    ...(stored.d1Bookmark && { bookmark: stored.d1Bookmark }),
  };
}
