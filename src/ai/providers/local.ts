// AI_PROVIDER=local: deterministic hashed n-gram embeddings and an extractive, cited answer composed
// from the retrieved passages. It is labelled "local-extractive" and never pretends to be an LLM.
import { answeringSentences, salientTerms, type TermWeights } from "../evidence";
import { looksLikeInstruction } from "../guard";
import { fnv1a, stem, STOP_WORDS, words } from "../text";
import { l2normalize, type AiProvider, type GroundedPrompt } from "./types";

/** Signed feature hashing of word unigrams, word bigrams and character trigrams; weight × (1 + ln tf). */
export function localEmbedding(
  text: string,
  dims: number,
  w: FeatureWeights = DEFAULT_WEIGHTS,
  /** Query side only: a weight per stemmed word (its IDF in the searched collection). */
  termWeight?: (stem: string) => number,
): Float32Array {
  const features = new Map<string, { weight: number; tf: number }>();
  const add = (feature: string, weight: number) => {
    const f = features.get(feature);
    if (f) f.tf++;
    else features.set(feature, { weight, tf: 1 });
  };
  let previous: string | undefined;
  for (const token of words(text)) {
    if (STOP_WORDS.has(token) || token.length < 2) {
      previous = undefined;
      continue;
    }
    const s = stem(token);
    const tw = termWeight ? termWeight(s) : 1;
    add(`w:${s}`, w.word * tw);
    if (previous && w.bigram) add(`b:${previous}_${s}`, w.bigram * tw);
    previous = s;
    // Character trigrams catch morphology and typos ("nutrition" ~ "nutritional").
    const padded = `#${s}#`;
    const grams = padded.length - 2;
    if (w.trigram) for (let i = 0; i < grams; i++) add(`c:${padded.slice(i, i + 3)}`, (w.trigram * tw) / Math.sqrt(grams));
  }
  const v = new Float32Array(dims);
  for (const [feature, { weight, tf }] of features) {
    const h = fnv1a(feature);
    const sign = h & 0x80000000 ? -1 : 1;
    const i = h % dims;
    v[i] = v[i]! + sign * weight * (1 + Math.log(tf));
  }
  return l2normalize(v);
}

export interface FeatureWeights {
  word: number;
  bigram: number;
  trigram: number;
}

export const DEFAULT_WEIGHTS: FeatureWeights = { word: 1, bigram: 0.5, trigram: 0.6 };

const MAX_SENTENCES = 3;
const MAX_ANSWER_CHARS = 700;

/** Quotes the sentences that answer (weighted coverage of the question), cites them, never repeats instruction-like text. */
export function composeExtractive(prompt: GroundedPrompt): string {
  const weights: TermWeights =
    prompt.termWeights ?? salientTerms(prompt.question).map((t) => ({ stem: t.stem, weight: 1, synonyms: t.synonyms }));
  const picked = answeringSentences(prompt.sources, weights, { max: MAX_SENTENCES, maxChars: MAX_ANSWER_CHARS, skip: looksLikeInstruction });
  if (!picked.length) return "";
  const lines = picked.map((c) => `${c.text} [${c.source + 1}]`);
  const cited = [...new Set(picked.map((c) => c.source))];
  const refs = cited.map((i) => `[${i + 1}] ${prompt.sources[i]!.title}`).join("; ");
  const intro = prompt.assistantName && prompt.assistantName !== "Assistant" ? `${prompt.assistantName} here. From the knowledge base:` : "From the knowledge base:";
  return `${intro}\n${lines.join("\n")}\n\nSources: ${refs}`;
}

export function localProvider(dims: number): AiProvider {
  return {
    name: "local",
    embeddingModel: `local-hash-ngram-${dims}`,
    chatModel: "local-extractive",
    dimensions: dims,
    async embed(texts) {
      return texts.map((t) => localEmbedding(t, dims));
    },
    async embedQuery(text, idf) {
      return localEmbedding(text, dims, DEFAULT_WEIGHTS, idf);
    },
    async *generate(prompt) {
      const text = composeExtractive(prompt);
      // Stream word by word like a model would, so every caller has one code path.
      for (const piece of text.split(/(?<=\s)/)) yield piece;
    },
    async health() {
      return { status: "available", detail: "built in (no model to load)" };
    },
  };
}
