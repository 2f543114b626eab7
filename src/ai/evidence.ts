// Answerability evidence: how much of the question's salient content (its content words, weighted by
// their IDF in the creator's knowledge, after Porter stemming) a passage covers. A word the knowledge
// base never uses weighs most, so "Can I bring my dog to the meetup?" is not answered by the meetup
// page; a WordNet synonym in the passage counts for part of the word. The same weights choose the
// sentences of the extractive answer.
import { broaderOf, phraseExpansions, synonymsOf, type QueryTerm } from "./synonyms";
import { idf, porter, type TermStats } from "./term-stats";
import { sentences, terms, words } from "./text";

// Words that shape a question but name no topic ("how much", "can you tell me", "is that normal").
const QUESTION_WORDS = new Set(
  "much many often soon long get got need want like please help tell know thing things way anyone someone somebody possible ok okay hi hello hey thanks thank really actually also im ive anything something".split(
    " ",
  ),
);
/** Credit for a synonym found instead of the word itself. */
export const SYNONYM_CREDIT = 0.6;
/** Credit for a WordNet hypernym found instead of the word ("partner" for "husband"). */
export const BROADER_CREDIT = 0.4;

export interface SalientTerm {
  word: string;
  stem: string;
  /** Synonyms, derived forms, and expansions of a WordNet phrase the word is part of. */
  synonyms: string[];
  /** Hypernyms one level up. */
  broader: string[];
}

/** The question's topic words, one per stem, with their synonyms. */
export function salientTerms(question: string): SalientTerm[] {
  const out: SalientTerm[] = [];
  const seen = new Set<string>();
  const phrases = phraseExpansions(question);
  for (const word of terms(question)) {
    if (QUESTION_WORDS.has(word)) continue;
    const stem = porter(word);
    if (seen.has(stem)) continue;
    seen.add(stem);
    const synonyms = [...new Set([...(phrases.get(stem) ?? []), ...synonymsOf(stem, word)])].filter((s) => s !== stem);
    out.push({ word, stem, synonyms, broader: broaderOf(stem).filter((s) => s !== stem && !synonyms.includes(s)) });
  }
  return out;
}

/** Stems and synonyms the statistics must cover (synonyms by their stem, which FTS5 matches as is). */
export function statsWords(salient: SalientTerm[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of salient) {
    m.set(t.stem, t.word);
    for (const s of [...t.synonyms, ...t.broader]) if (!m.has(s)) m.set(s, s);
  }
  return m;
}

export type TermWeights = { stem: string; weight: number; synonyms: string[]; broader?: string[] }[];

/**
 * A word the knowledge base never uses (nor any synonym of it) counts this many times its IDF: in a
 * small knowledge base IDF barely separates "never seen" from "seen once", yet an unseen word is the
 * clearest sign that the question's topic isn't covered ("Fitbit", "vegan", "dog").
 */
export const UNSEEN_FACTOR = 2;

/** Each salient term's weight: its IDF in the creator's knowledge (unseen words weigh most). */
export function termWeights(salient: SalientTerm[], stats: TermStats): TermWeights {
  return salient.map((t) => {
    // Known only through a synonym or a hypernym: unseen in part (as much as the relation's credit falls short).
    const known = stats.df.get(t.stem) ? 1 : t.synonyms.some((s) => stats.df.get(s)) ? SYNONYM_CREDIT : t.broader.some((s) => stats.df.get(s)) ? BROADER_CREDIT : 0;
    return { stem: t.stem, weight: idf(stats, t.stem) * (1 + (UNSEEN_FACTOR - 1) * (1 - known)), synonyms: t.synonyms, broader: t.broader };
  });
}

/** Weighted fraction of the question covered by a text (1 = every salient word present). */
export function coverage(text: string, weights: TermWeights): number {
  const total = weights.reduce((s, w) => s + w.weight, 0);
  if (!total) return 0;
  const have = new Set(words(text).map(porter));
  let got = 0;
  for (const w of weights) {
    if (have.has(w.stem)) got += w.weight;
    else if (w.synonyms.some((s) => have.has(s))) got += w.weight * SYNONYM_CREDIT;
    else if (w.broader?.some((s) => have.has(s))) got += w.weight * BROADER_CREDIT;
  }
  return got / total;
}

export interface PickedSentence {
  text: string;
  source: number;
  order: number;
  score: number;
}

/**
 * The sentences that answer: by weighted coverage of the question, best first; then those of the same
 * sources that score at least half as well (context), at most `max`, back in document order.
 */
export function answeringSentences(
  sources: { title: string; content: string }[],
  weights: TermWeights,
  opts: { max: number; maxChars: number; skip: (s: string) => boolean },
): PickedSentence[] {
  const candidates: PickedSentence[] = [];
  sources.forEach((source, si) => {
    sentences(source.content.replace(/\s+/g, " ")).forEach((text, order) => {
      if (text.length < 12 || opts.skip(text)) return;
      // The source's title counts a little: "deload week" sentences under a "Recovery" heading.
      const score = coverage(text, weights) + 0.1 * coverage(source.title, weights) - si * 0.001;
      if (score > 0.05) candidates.push({ text, source: si, order, score });
    });
  });
  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  if (!best) return [];
  const picked = [best];
  let chars = best.text.length;
  // The sentence right after the best one usually completes it ("It usually peaks 24 to 72 hours…").
  const next = candidates.find((c) => c.source === best.source && c.order === best.order + 1);
  if (next && opts.max > 1 && chars + next.text.length <= opts.maxChars) {
    picked.push(next);
    chars += next.text.length;
  }
  for (const c of candidates.slice(1)) {
    if (picked.includes(c)) continue;
    if (picked.length >= opts.max) break;
    if (c.score < best.score * 0.5 || c.source !== best.source || chars + c.text.length > opts.maxChars) continue;
    picked.push(c);
    chars += c.text.length;
  }
  return picked.sort((a, b) => a.source - b.source || a.order - b.order);
}

export type { QueryTerm };
