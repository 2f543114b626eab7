// The one answer function: the AI REST API, the widget and every channel call it.
// Pipeline: hybrid retrieval (with WordNet expansion) → answerability evidence (src/ai/evidence.ts) →
// grounded prompt → provider streaming. Without enough evidence it says it doesn't know (the creator's
// fallback text) instead of inventing; an LLM that finds no answer in the sources says so with a marker.
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { creators } from "../db/schema";
import type { Persona } from "../modules/assistant/schemas";
import { personaFromSettings } from "../modules/assistant/service";
import type { Env } from "../env";
import { config } from "../config";
import { AppError } from "../lib/errors";
import { log } from "../lib/logging";
import { memoryValues } from "../modules/memory/learn";
import { askedMemoryKey, memoryAnswer, memoryLines } from "./memory-facts";
import { recordMetric } from "./metrics";
import { answeringSentences, expectedAnswerType, passageEvidence, salientTerms, statsWords, termWeights, type TermWeights } from "./evidence";
import { looksLikeInstruction } from "./guard";
import { buildPrompt, NO_ANSWER } from "./prompt";
import { aiProvider, answerProvider } from "./providers";
import { scope, search, type SearchHit } from "./retrieve";
import { termStats } from "./term-stats";

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
  /** The end user asking: their long-term memories reach the answer (module memory). */
  endUserId?: string;
  /** Earlier turns, oldest first (the caller decides how many). */
  history?: { role: "user" | "assistant"; content: string }[];
  /** How many passages to ground on (default 5). */
  maxSources?: number;
  /**
   * "public": a visitor asks (widget, Telegram, WhatsApp): only public knowledge bases are used, and
   * the sources carry the document title and a snippet, not whole chunks or internal metadata.
   */
  audience?: "public";
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
  return (await persona(env, creatorId)).fallback_message ?? FALLBACK_ANSWER;
}

async function persona(env: Env, creatorId: string): Promise<Persona> {
  const row = await getDb(env.DB).select({ settings: creators.settings }).from(creators).where(eq(creators.id, creatorId)).get();
  return personaFromSettings(row?.settings);
}

/** model_used when a remembered fact answered a question about it ("what is my goal?"). */
export const MEMORY_MODEL = "memory";

/** model_used when the persona's greeting answered a greeting. */
export const GREETING_MODEL = "persona greeting";
// A message that only greets ("Hi!", "Good morning", "Hallo") gets the persona's greeting, not a search.
const ONLY_GREETING = /^\s*(hi|hello|hey|hiya|howdy|hallo|hola|ola|olá|bonjour|ciao|good (morning|afternoon|evening)|greetings)(\s+(there|everyone|all))?[\s!.,?]*$/iu;
export const isGreeting = (message: string) => ONLY_GREETING.test(message);

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The knowledge bases this answer may use (none when a named one is gone or not for this audience). */
async function answerScope(env: Env, input: AnswerInput): Promise<string[]> {
  try {
    return (await scope(env, input.creatorId, input.knowledgeBaseId ? [input.knowledgeBaseId] : undefined, input.audience)).map((k) => k.id);
  } catch (err) {
    // A conversation whose knowledge base was deleted answers like one with nothing relevant.
    if (err instanceof AppError && err.code === "RESOURCE_NOT_FOUND") return [];
    throw err;
  }
}

async function retrieve(env: Env, input: AnswerInput, kbIds: string[]): Promise<SearchHit[]> {
  if (!kbIds.length) return [];
  try {
    const result = await search(env, input.creatorId, {
      query: input.message,
      limit: input.maxSources ?? 5,
      knowledgeBaseIds: kbIds,
      expand: config(env).knowledge.queryExpansion,
      audience: input.audience,
    });
    return result.results;
  } catch (err) {
    if (err instanceof AppError && err.code === "RESOURCE_NOT_FOUND") return [];
    throw err;
  }
}

type Scored = SearchHit & { evidence: number };

/** Every hit gets a real cosine similarity (lexical-only hits are embedded here). */
async function withSimilarity(env: Env, question: string, hits: SearchHit[]): Promise<void> {
  const missing = hits.filter((h) => h.vector_score === null);
  if (!missing.length) return;
  const [q, ...vectors] = await aiProvider(env).embed([question, ...missing.map((h) => (h.heading ? `${h.heading}\n${h.content}` : h.content))]);
  missing.forEach((h, i) => {
    let dot = 0;
    const v = vectors[i]!;
    for (let j = 0; j < v.length; j++) dot += v[j]! * q![j]!;
    h.vector_score = round(dot);
  });
}

/**
 * The passages good enough to answer from. Evidence = IDF-weighted coverage of the question's salient
 * words by the passage's best two-sentence window, capped when that window lacks the asked-for answer
 * type (src/ai/evidence.ts `passageEvidence`). Only passages close to the best one are kept (so an answer never quotes a
 * page that merely shares a word). With a real embedding model a semantically close passage also
 * qualifies (the LLM then still may decline); the local hashed vectors are lexical, so not for them.
 */
async function answerable(env: Env, input: AnswerInput, kbIds: string[], hits: SearchHit[]): Promise<{ hits: Scored[]; weights: TermWeights; best: number }> {
  const cfg = config(env).knowledge;
  const salient = salientTerms(input.message);
  if (!hits.length) return { hits: [], weights: [], best: 0 };
  const stats = await termStats(env, input.creatorId, statsWords(salient), kbIds);
  const weights = termWeights(salient, stats);
  const provider = aiProvider(env);
  if (provider.name !== "local") await withSimilarity(env, input.message, hits);
  const type = expectedAnswerType(input.message);
  const scored: Scored[] = hits.map((h) => ({ ...h, evidence: passageEvidence(h.heading, h.content, weights, type) }));
  const best = scored.reduce((m, h) => Math.max(m, h.evidence), 0);
  const semantic = (h: SearchHit) => provider.name !== "local" && (h.vector_score ?? 0) >= cfg.minSimilarity;
  const kept = scored
    .filter((h) => (h.evidence >= cfg.minEvidence && h.evidence >= best * KEEP_RELATIVE) || semantic(h))
    .sort((a, b) => b.evidence - a.evidence);
  return { hits: kept, weights, best };
}

const VISITOR_SNIPPET_CHARS = 240;

/** What a visitor sees of a source: the sentence of it that answers, cut to a snippet (plain text). */
function visitorSnippet(h: SearchHit, weights: TermWeights): string {
  const best = answeringSentences([{ title: h.document_title, content: h.content }], weights, { max: 1, maxChars: VISITOR_SNIPPET_CHARS, skip: looksLikeInstruction })[0];
  const text = (best?.text ?? h.content).replace(/\s+/g, " ").trim();
  return text.length > VISITOR_SNIPPET_CHARS ? `${text.slice(0, VISITOR_SNIPPET_CHARS - 1).trimEnd()}…` : text;
}

/** The model a conversation was created with (its metadata `model`, provider:id), if any. */
async function conversationModel(env: Env, input: AnswerInput): Promise<string | null> {
  if (!input.conversationId) return null;
  const row = await env.DB.prepare("SELECT json_extract(metadata, '$.model') AS model FROM conversations WHERE id = ? AND creator_id = ?")
    .bind(input.conversationId, input.creatorId)
    .first<{ model: string | null }>();
  return typeof row?.model === "string" ? row.model : null;
}

/** A passage is kept when its evidence is at least this share of the best passage's. */
const KEEP_RELATIVE = 0.85;

export async function* streamAnswer(env: Env, input: AnswerInput): AsyncGenerator<AnswerEvent> {
  const started = performance.now();
  const provider = aiProvider(env);
  const who = await persona(env, input.creatorId);
  const fallback = who.fallback_message ?? FALLBACK_ANSWER;
  if (who.greeting && isGreeting(input.message)) {
    for (const piece of who.greeting.split(/(?<=\s)/)) yield { type: "delta", delta: piece };
    yield { type: "done", result: { response: who.greeting, confidence: 1, model_used: GREETING_MODEL, sources: [], processing_time_ms: Math.round(performance.now() - started) } };
    return;
  }
  const memories = input.endUserId ? await memoryValues(env, input.creatorId, input.endUserId) : {};
  const asked = askedMemoryKey(input.message);
  if (asked && memories[asked] !== undefined && memories[asked] !== null) {
    // Answered from what the user told us, on every provider: a fact of theirs, not the knowledge base.
    const text = memoryAnswer(asked, memories[asked]);
    for (const piece of text.split(/(?<=\s)/)) yield { type: "delta", delta: piece };
    yield { type: "done", result: { response: text, confidence: 1, model_used: MEMORY_MODEL, sources: [], processing_time_ms: Math.round(performance.now() - started) } };
    return;
  }
  const kbIds = await answerScope(env, input);
  const { hits, weights } = await answerable(env, input, kbIds, await retrieve(env, input, kbIds));
  const retrievalMs = performance.now() - started;

  // The creator's chosen chat model (persona chat_model) generates; retrieval stays on AI_PROVIDER.
  // A conversation created with a model of its own (POST /api/v1/chat {model_id}) answers with it.
  const generator = hits.length ? await answerProvider(env, (await conversationModel(env, input)) ?? who.chat_model) : provider;
  let response = "";
  let modelUsed = generator.chatModel;
  let declined = false;
  const generationStarted = performance.now();
  if (hits.length) {
    const prompt = buildPrompt({
      question: input.message,
      sources: hits.map((h) => ({ title: h.document_title, content: h.content })),
      history: input.history,
      fallback,
      persona: { name: who.name, tone: who.tone, language: who.language, instructions: who.instructions },
      memory: memoryLines(Object.entries(memories).map(([key, value]) => ({ key, value }))),
    });
    prompt.termWeights = weights;
    // Held back until it can't be the no-answer marker, so a declining model streams nothing of it.
    let pending = "";
    try {
      for await (const delta of generator.generate(prompt)) {
        if (declined) continue;
        if (response) {
          response += delta;
          yield { type: "delta", delta };
          continue;
        }
        pending += delta;
        const head = pending.trimStart();
        if (head.startsWith(NO_ANSWER)) declined = true;
        else if (head.length >= NO_ANSWER.length || !NO_ANSWER.startsWith(head)) {
          response = pending;
          yield { type: "delta", delta: pending };
        }
      }
      if (!response && !declined && pending.trim() && !pending.trim().startsWith(NO_ANSWER)) {
        response = pending;
        yield { type: "delta", delta: pending };
      }
    } catch (err) {
      log("error", "generation failed", { provider: generator.name, model: generator.chatModel, error: String(err) });
      if (!response) throw new AppError("SERVICE_UNAVAILABLE", "The AI model is not available right now");
    }
  }
  if (declined || !response.trim() || response.trim() === fallback) {
    response = fallback;
    modelUsed = FALLBACK_MODEL;
    for (const piece of fallback.split(/(?<=\s)/)) yield { type: "delta", delta: piece };
  }
  const generationMs = performance.now() - generationStarted;
  const usedSources = modelUsed === FALLBACK_MODEL ? [] : hits;
  const sources: AnswerSource[] = usedSources.map((h) =>
    input.audience === "public"
      ? { content: visitorSnippet(h, weights), metadata: { document_title: h.document_title }, similarity_score: Math.max(0, round(h.vector_score ?? 0)) }
      : {
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
  });
  // Confidence: the evidence the answer rests on (0 for the fallback).
  const confidence = usedSources.length ? Math.max(...usedSources.map((h) => Math.max(h.evidence, provider.name === "local" ? 0 : (h.vector_score ?? 0)))) : 0;
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
      confidence: round(Math.min(1, Math.max(0, confidence)), 2),
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
