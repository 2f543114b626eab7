// The one answer function: the AI REST API, the widget and every channel call it.
// Pipeline: hybrid retrieval → relevance gate → grounded prompt → provider streaming. With nothing
// relevant it says it doesn't know (the creator's fallback text) instead of inventing.
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { creators } from "../db/schema";
import type { Env } from "../env";
import { config } from "../config";
import { AppError } from "../lib/errors";
import { log } from "../lib/logging";
import { recordMetric } from "./metrics";
import { buildPrompt } from "./prompt";
import { aiProvider } from "./providers";
import { search, type SearchHit } from "./retrieve";

export interface AnswerSource {
  content: string;
  metadata: Record<string, unknown>;
  similarity_score: number;
}

export interface AnswerInput {
  creatorId: string;
  message: string;
  conversationId?: string;
  knowledgeBaseId?: string;
  /** Earlier turns, oldest first (the caller decides how many). */
  history?: { role: "user" | "assistant"; content: string }[];
  /** How many passages to ground on (default 5). */
  maxSources?: number;
}

export interface AnswerResult {
  response: string;
  confidence: number;
  model_used: string;
  sources: AnswerSource[];
  processing_time_ms: number;
}

export type AnswerEvent = { type: "delta"; delta: string } | { type: "done"; result: AnswerResult };

export const FALLBACK_ANSWER = "I don't know the answer to that yet. Would you like me to connect you with a person?";
/** model_used when no model ran because nothing relevant was found. */
export const FALLBACK_MODEL = "fallback (no relevant sources)";

/** The creator's own fallback text (creator settings `fallback_message`), else FALLBACK_ANSWER. */
export async function fallbackText(env: Env, creatorId: string): Promise<string> {
  const row = await getDb(env.DB).select({ settings: creators.settings }).from(creators).where(eq(creators.id, creatorId)).get();
  const custom = row?.settings?.fallback_message;
  return typeof custom === "string" && custom.trim() ? custom.trim() : FALLBACK_ANSWER;
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

async function retrieve(env: Env, input: AnswerInput): Promise<SearchHit[]> {
  try {
    const result = await search(env, input.creatorId, {
      query: input.message,
      limit: input.maxSources ?? 5,
      knowledgeBaseIds: input.knowledgeBaseId ? [input.knowledgeBaseId] : undefined,
    });
    return result.results;
  } catch (err) {
    // A conversation whose knowledge base was deleted answers like one with nothing relevant.
    if (err instanceof AppError && err.code === "RESOURCE_NOT_FOUND") return [];
    throw err;
  }
}

/** Every hit gets a real cosine similarity (lexical-only hits are embedded here), then the gate applies. */
async function relevant(env: Env, question: string, hits: SearchHit[]): Promise<SearchHit[]> {
  const missing = hits.filter((h) => h.vector_score === null);
  if (missing.length) {
    const provider = aiProvider(env);
    const [q, ...vectors] = await provider.embed([question, ...missing.map((h) => (h.heading ? `${h.heading}\n${h.content}` : h.content))]);
    missing.forEach((h, i) => {
      let dot = 0;
      const v = vectors[i]!;
      for (let j = 0; j < v.length; j++) dot += v[j]! * q![j]!;
      h.vector_score = round(dot);
    });
  }
  const min = config(env).knowledge.minSimilarity;
  // Relevant: semantically close, or lexically matching at least half of the question's content words.
  return hits.filter((h) => (h.vector_score ?? 0) >= min || (h.bm25_score !== null && h.term_coverage >= 0.5));
}

export async function* streamAnswer(env: Env, input: AnswerInput): AsyncGenerator<AnswerEvent> {
  const started = performance.now();
  const provider = aiProvider(env);
  const fallback = await fallbackText(env, input.creatorId);
  const hits = await relevant(env, input.message, await retrieve(env, input));
  const retrievalMs = performance.now() - started;

  let response = "";
  let modelUsed = provider.chatModel;
  const generationStarted = performance.now();
  if (hits.length) {
    const prompt = buildPrompt({
      question: input.message,
      sources: hits.map((h) => ({ title: h.document_title, content: h.content })),
      history: input.history,
      fallback,
    });
    try {
      for await (const delta of provider.generate(prompt)) {
        response += delta;
        yield { type: "delta", delta };
      }
    } catch (err) {
      log("error", "generation failed", { provider: provider.name, error: String(err) });
      if (!response) throw new AppError("SERVICE_UNAVAILABLE", "The AI model is not available right now");
    }
  }
  if (!response.trim()) {
    response = fallback;
    modelUsed = FALLBACK_MODEL;
    for (const piece of fallback.split(/(?<=\s)/)) yield { type: "delta", delta: piece };
  }
  const generationMs = performance.now() - generationStarted;
  const usedSources = modelUsed === FALLBACK_MODEL ? [] : hits;
  const sources: AnswerSource[] = usedSources.map((h) => ({
    content: h.content,
    metadata: {
      ...h.metadata,
      document_id: h.document_id,
      document_title: h.document_title,
      knowledge_base_id: h.knowledge_base_id,
      chunk_id: h.chunk_id,
      chunk_index: h.chunk_index,
      heading: h.heading,
    },
    similarity_score: Math.max(0, round(h.vector_score ?? 0)),
  }));
  // Confidence: the best source's similarity, nudged by how much of the question it covers.
  const best = usedSources.reduce((m, h) => Math.max(m, (h.vector_score ?? 0) * 0.7 + h.term_coverage * 0.3), 0);
  const totalMs = performance.now() - started;
  await recordMetric(env, input.creatorId, {
    kind: "answer",
    retrievalMs,
    generationMs,
    totalMs,
    sourcesCount: sources.length,
    modelUsed,
  });
  yield {
    type: "done",
    result: {
      response,
      confidence: round(Math.min(1, Math.max(0, best)), 2),
      model_used: modelUsed,
      sources,
      processing_time_ms: Math.round(totalMs),
    },
  };
}

/** Convenience for callers that don't stream. */
export async function answer(env: Env, input: AnswerInput): Promise<AnswerResult> {
  for await (const event of streamAnswer(env, input)) if (event.type === "done") return event.result;
  throw new Error("answer stream ended without a result");
}
