// The AI provider contract: embeddings and grounded generation. Implementations: local, openai, workers-ai.
import type { TermWeights } from "../evidence";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A retrieved passage handed to generation, numbered [1], [2], ... in the prompt. */
export interface PromptSource {
  title: string;
  content: string;
}

/** What generation receives: the chat messages (system first) and the same material in structured form. */
export interface GroundedPrompt {
  messages: ChatMessage[];
  question: string;
  sources: PromptSource[];
  /** The question's salient stems weighted by IDF (the extractive answer picks sentences with them). */
  termWeights?: TermWeights;
  /** The persona's name, for the local provider's wording. */
  assistantName?: string;
}

export interface ProviderHealth {
  status: "available" | "unavailable";
  detail?: string;
}

export interface AiProvider {
  readonly name: "local" | "openai" | "workers-ai" | "anthropic";
  readonly embeddingModel: string;
  /** What `model_used` reports for answers. */
  readonly chatModel: string;
  /** Known up front for local; discovered from the first embedding otherwise. */
  readonly dimensions?: number;
  /** One vector per text, same order; L2-normalised. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /**
   * Local provider only: a query vector whose words are weighted by their IDF in the searched
   * collection (hashed features carry no semantics, so rare words must count more).
   */
  embedQuery?(text: string, idf: (stem: string) => number): Promise<Float32Array>;
  /** The answer as text deltas. */
  generate(prompt: GroundedPrompt): AsyncIterable<string>;
  health(): Promise<ProviderHealth>;
}

export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}
