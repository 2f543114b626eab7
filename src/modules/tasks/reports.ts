// The work of each step: retrieve the material, summarise it, compose the report. Step outputs are
// plain JSON (Workflows persist them between steps), bounded in size.
import { asc, eq, inArray } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations, messages, tasks } from "../../db/schema";
import type { Env } from "../../env";
import { aiProvider } from "../../ai/providers";
import { search } from "../../ai/retrieve";
import { bestSentences, topTerms } from "./extract";
import type { AnalyzeInput, ResearchInput } from "./schemas";
import { conversationsInScope, type TaskParams } from "./service";

/** An analysis reads at most this much: the report says when it was cut. */
const MAX_CONVERSATIONS = 200;
const MAX_MESSAGES = 5000;

export const EXTRACTIVE_METHOD =
  "extractive: the sentences below were selected from the material by their overlap with the question; no language model wrote them (AI_PROVIDER=local)";

export async function taskInput(env: Env, p: TaskParams) {
  const t = tenant(env.DB, p.creatorId);
  const row = await t.db.select({ kind: tasks.kind, input: tasks.input }).from(tasks).where(t.where(tasks, eq(tasks.id, p.taskId))).get();
  if (!row) throw new Error("task row is gone");
  return row;
}

export interface ConversationMaterial {
  conversations: { id: string; channel: string; status: string }[];
  messages: { id: string; conversation_id: string; sender: string; text: string }[];
  truncated: boolean;
}

export async function retrieveConversations(env: Env, p: TaskParams, input: AnalyzeInput): Promise<ConversationMaterial> {
  const t = tenant(env.DB, p.creatorId);
  const ids = await conversationsInScope(env, p.creatorId, input, MAX_CONVERSATIONS);
  if (!ids.length) return { conversations: [], messages: [], truncated: false };
  const convs = await t.db
    .select({ id: conversations.id, channel: conversations.channel, status: conversations.status })
    .from(conversations)
    .where(t.where(conversations, inArray(conversations.id, ids)));
  const rows = await t.db
    .select({ id: messages.id, conversation_id: messages.conversationId, sender: messages.sender, text: messages.text })
    .from(messages)
    .where(t.where(messages, inArray(messages.conversationId, ids)))
    .orderBy(asc(messages.conversationId), asc(messages.seq))
    .limit(MAX_MESSAGES + 1);
  return { conversations: convs, messages: rows.slice(0, MAX_MESSAGES), truncated: rows.length > MAX_MESSAGES };
}

export function summariseConversations(question: string, m: ConversationMaterial) {
  const bySender: Record<string, number> = {};
  for (const msg of m.messages) bySender[msg.sender] = (bySender[msg.sender] ?? 0) + 1;
  const count = (key: "channel" | "status") =>
    m.conversations.reduce<Record<string, number>>((acc, c) => ((acc[c[key]] = (acc[c[key]] ?? 0) + 1), acc), {});
  const userTexts = m.messages.filter((x) => x.sender === "user");
  const findings = bestSentences(question, m.messages.filter((x) => x.sender !== "system").map((x) => ({ text: x.text, ref: { conversation_id: x.conversation_id, message_id: x.id, sender: x.sender } })), 12);
  return {
    statistics: {
      conversations: m.conversations.length,
      messages: m.messages.length,
      messages_by_sender: bySender,
      conversations_by_channel: count("channel"),
      conversations_by_status: count("status"),
      truncated: m.truncated,
    },
    top_terms: topTerms(userTexts.map((x) => x.text), 15),
    findings: findings.map((f) => ({ text: f.text, relevance: Math.round(f.score * 100) / 100, ...f.ref })),
  };
}

export async function retrieveKnowledge(env: Env, p: TaskParams, input: ResearchInput) {
  const result = await search(env, p.creatorId, { query: input.topic, limit: 20, ...(input.knowledge_base_id && { knowledgeBaseIds: [input.knowledge_base_id] }) });
  return result.results.map((h) => ({ chunk_id: h.chunk_id, document_id: h.document_id, document_title: h.document_title, heading: h.heading, content: h.content.slice(0, 4000), score: h.score }));
}

export function summariseKnowledge(topic: string, hits: Awaited<ReturnType<typeof retrieveKnowledge>>) {
  const points = bestSentences(topic, hits.map((h) => ({ text: h.content, ref: { document_id: h.document_id, document_title: h.document_title, chunk_id: h.chunk_id } })), 12);
  const sections = new Map<string, { document_id: string; document_title: string; key_points: string[] }>();
  for (const pt of points) {
    const s = sections.get(pt.ref.document_id) ?? { document_id: pt.ref.document_id, document_title: pt.ref.document_title, key_points: [] };
    s.key_points.push(pt.text);
    sections.set(pt.ref.document_id, s);
  }
  const sources = [...new Map(hits.map((h) => [h.document_id, { document_id: h.document_id, document_title: h.document_title }])).values()];
  return { sections: [...sections.values()], sources, passages_read: hits.length };
}

/** The summary paragraph: a model's when one is configured, else the top sentences themselves. */
export async function composeSummary(env: Env, subject: string, points: string[]): Promise<{ summary: string; method: string; model_used: string }> {
  const provider = aiProvider(env);
  if (!points.length) return { summary: `Nothing in the material matched "${subject}".`, method: provider.name === "local" ? EXTRACTIVE_METHOD : "none: no matching material", model_used: provider.name === "local" ? "extractive (local)" : provider.chatModel };
  if (provider.name === "local") return { summary: points.slice(0, 5).join(" "), method: EXTRACTIVE_METHOD, model_used: "extractive (local)" };
  const sources = points.map((content, i) => ({ title: `Point ${i + 1}`, content }));
  let summary = "";
  for await (const delta of provider.generate({
    question: `Write a short report answering: ${subject}`,
    sources,
    messages: [
      { role: "system", content: "Summarise the numbered points into a short, factual report. Use only the points; cite them as [n]." },
      { role: "user", content: `${sources.map((s, i) => `[${i + 1}] ${s.content}`).join("\n")}\n\nReport on: ${subject}` },
    ],
  })) summary += delta;
  return { summary: summary.trim(), method: `abstractive: ${provider.name} summarised the selected sentences`, model_used: provider.chatModel };
}
