// The one answer function: the AI REST API, the widget and every channel call it.
// Interim implementation: with no knowledge module yet it can't ground anything, so it honestly
// answers with the fallback text (no invented content). The knowledge/RAG work replaces the body
// of streamAnswer (retrieval + provider) and keeps this signature.
import type { Env } from "../env";

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

export async function* streamAnswer(_env: Env, _input: AnswerInput): AsyncGenerator<AnswerEvent> {
  const started = performance.now();
  const words = FALLBACK_ANSWER.split(/(?<=\s)/);
  for (const word of words) yield { type: "delta", delta: word };
  yield {
    type: "done",
    result: {
      response: FALLBACK_ANSWER,
      confidence: 0,
      model_used: "local-fallback",
      sources: [],
      processing_time_ms: Math.round(performance.now() - started),
    },
  };
}

/** Convenience for callers that don't stream. */
export async function answer(env: Env, input: AnswerInput): Promise<AnswerResult> {
  for await (const event of streamAnswer(env, input)) if (event.type === "done") return event.result;
  throw new Error("answer stream ended without a result");
}
