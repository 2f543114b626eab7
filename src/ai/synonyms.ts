// Query expansion from WordNet: src/ai/synonyms.json (built by scripts/build-synonyms.mjs) maps a
// Porter stem to stems of its synonyms in the word's most frequent senses. Expansions weigh less than
// the words asked, so they close paraphrase gaps ("repay" ↔ "refund") without outranking exact matches.
import synonymMap from "./synonyms.json";
import relations from "./wordnet-relations.json";
import { porter } from "./term-stats";
import { terms, words } from "./text";

export interface QueryTerm {
  /** A surface form to MATCH in FTS5 (FTS5 stems it the same way). */
  word: string;
  stem: string;
  /** 1 for the query's own words, EXPANSION_WEIGHT for synonyms. */
  weight: number;
  /** For expansions: the stem of the query word it stands for. */
  of?: string;
}

const MAP = synonymMap as Record<string, string[]>;
const BROADER = (relations as { broader: Record<string, string[]> }).broader;
const PHRASES = (relations as { phrases: Record<string, string[]> }).phrases;
export const EXPANSION_WEIGHT = 0.5;
/** Hypernyms are looser than synonyms ("husband" → "partner"): they weigh less in retrieval. */
export const BROADER_WEIGHT = 0.3;
const PER_WORD = 4;

// Regular inflections and derivations Porter leaves apart (WordNet's "morphy" rules, plus -ly):
// "cheapest" → "cheap", "monthly" → "month", "daily" → "day".
const SUFFIXES: [string, string][] = [["iest", "y"], ["ier", "y"], ["ily", "y"], ["est", ""], ["er", ""], ["ly", ""]];

/** Stems related to a word: its base forms, then WordNet's derived forms and synonyms of each. */
export function synonymsOf(stem: string, word?: string): string[] {
  const out = new Set<string>();
  for (const [suffix, replacement] of word ? SUFFIXES : []) {
    if (word!.length - suffix.length < 3 || !word!.endsWith(suffix)) continue;
    const base = porter(word!.slice(0, -suffix.length) + replacement);
    if (base !== stem && (MAP[base] || base.length >= 3)) out.add(base);
  }
  for (const b of [...out]) for (const s of MAP[b] ?? []) out.add(s);
  for (const s of MAP[stem] ?? []) out.add(s);
  out.delete(stem);
  return [...out];
}

/** WordNet hypernyms one level up of a word (by stem): "husband" → "spouse", "partner"; "skip" → "miss". */
export function broaderOf(stem: string): string[] {
  return BROADER[stem] ?? [];
}

/**
 * WordNet's multi-word expressions in a text ("get rid of", "sign up"): for each content word of one,
 * the stems of the expression's single-word synonyms and hypernyms ("rid" → "remov", "elimin").
 */
export function phraseExpansions(text: string): Map<string, string[]> {
  const stems = words(text).map(porter);
  const out = new Map<string, string[]>();
  for (let n = 3; n >= 2; n--)
    for (let i = 0; i + n <= stems.length; i++) {
      const found = PHRASES[stems.slice(i, i + n).join(" ")];
      if (!found) continue;
      for (const s of stems.slice(i, i + n)) out.set(s, [...new Set([...(out.get(s) ?? []), ...found])]);
    }
  return out;
}

/** The query's content words (one per stem), then, when asked, their synonyms. */
export function expandQuery(query: string, expand: boolean, max: number): QueryTerm[] {
  const out: QueryTerm[] = [];
  const seen = new Set<string>();
  for (const word of terms(query)) {
    const stem = porter(word);
    if (seen.has(stem)) continue;
    seen.add(stem);
    out.push({ word, stem, weight: 1 });
  }
  const own = out.slice(0, max);
  if (!expand) return own;
  const extra: QueryTerm[] = [];
  const phrases = phraseExpansions(query);
  const add = (list: string[], weight: number, of: string) => {
    for (const s of list) {
      if (seen.has(s)) continue;
      seen.add(s);
      extra.push({ word: s, stem: s, weight, of });
    }
  };
  for (const t of own) add([...(phrases.get(t.stem) ?? []), ...synonymsOf(t.stem, t.word)].slice(0, PER_WORD), EXPANSION_WEIGHT, t.stem);
  for (const t of own) add(broaderOf(t.stem).slice(0, PER_WORD), BROADER_WEIGHT, t.stem);
  return [...own, ...extra].slice(0, Math.max(max, own.length));
}
