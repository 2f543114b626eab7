// Extractive summarising for reports: sentences scored by how many of the question's content words
// they contain (Porter stems, so "refunds" finds "refund"). No model writes anything here, and the report says so.
import { stemmer } from "stemmer";

const STOP = new Set(
  "a an and are as at be but by can do does for from has have how i if in into is it its me my no not of on or our so that the their them then there these they this to was we were what when where which who why will with you your".split(" "),
);

export function terms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [])
    .map((w) => w.replace(/'s$/, ""))
    .filter((w) => w.length > 2 && !STOP.has(w))
    .map((w) => stemmer(w));
}

export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.replace(/^#+\s*/, "").trim())
    .filter((s) => s.length >= 12 && s.length <= 400);
}

export interface Scored<T> {
  text: string;
  score: number;
  ref: T;
}

/** The best `limit` distinct sentences of `items` for `query`; ties keep the original order. */
export function bestSentences<T>(query: string, items: { text: string; ref: T }[], limit: number): Scored<T>[] {
  const wanted = new Set(terms(query));
  const seen = new Set<string>();
  const scored: Scored<T>[] = [];
  for (const item of items) {
    for (const s of sentences(item.text)) {
      const key = s.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const words = new Set(terms(s));
      let hits = 0;
      for (const w of wanted) if (words.has(w)) hits++;
      if (hits > 0) scored.push({ text: s, score: hits / Math.max(1, wanted.size), ref: item.ref });
    }
  }
  return scored.sort((a, b) => b.score - a.score).slice(0, limit);
}

/** Most frequent content words: what the audience talks about. */
export function topTerms(texts: string[], limit: number): { term: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of terms(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([term, count]) => ({ term, count }));
}
