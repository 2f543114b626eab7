// bm25Score counts only the query's stems and memoises stemming: the score must equal the plain
// definition (every word stemmed and counted) for any chunk and query.
import fc from "fast-check";
import { stemmer } from "stemmer";
import { describe, expect, it } from "vitest";
import { bm25Score } from "../../src/ai/retrieve";
import type { QueryTerm } from "../../src/ai/synonyms";
import { idf, porter, type TermStats } from "../../src/ai/term-stats";
import { words } from "../../src/ai/text";

function reference(content: string, heading: string, qts: QueryTerm[], stats: TermStats, hw = 2, k1 = 1.2, b = 0.9): number {
  const tf = new Map<string, number>();
  for (const w of words(content)) tf.set(stemmer(w), (tf.get(stemmer(w)) ?? 0) + 1);
  for (const w of words(heading)) tf.set(stemmer(w), (tf.get(stemmer(w)) ?? 0) + hw);
  const norm = k1 * (1 - b + (b * (content.length + heading.length)) / stats.avgChars);
  let score = 0;
  for (const t of qts) {
    const f = tf.get(t.stem) ?? 0;
    if (f) score += t.weight * idf(stats, t.stem) * ((f * (k1 + 1)) / (f + norm));
  }
  return score;
}

const VOCAB = ["refund", "refunds", "refunding", "protein", "proteins", "knee", "knees", "running", "runs", "rest", "days", "daily", "the", "of", "Price", "PRICING", "café", "cafe", "2024"];
const text = fc.array(fc.constantFrom(...VOCAB), { maxLength: 40 }).map((ws) => ws.join(" "));

describe("bm25Score", () => {
  it("equals BM25 over every stemmed word, for any chunk, heading and query", () => {
    fc.assert(
      fc.property(text, text, fc.uniqueArray(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 6 }), fc.double({ min: 0.1, max: 1, noNaN: true }), (content, heading, qws, weight) => {
        const qts: QueryTerm[] = [...new Set(qws.map((w) => porter(w.toLowerCase())))].map((stem, i) => ({ word: stem, stem, weight: i === 0 ? 1 : weight }) as QueryTerm);
        const stats: TermStats = { n: 50, avgChars: 120, df: new Map(qts.map((t, i) => [t.stem, i + 1])) };
        expect(bm25Score(content, heading, qts, stats)).toBeCloseTo(reference(content, heading, qts, stats), 10);
      }),
      { numRuns: 300 },
    );
  });

  it("the product's parameters (chosen on SciFact train) are the defaults, and other ones are honoured", () => {
    const qts = [{ word: "refund", stem: "refund", weight: 1 }] as QueryTerm[];
    const stats: TermStats = { n: 50, avgChars: 120, df: new Map([["refund", 3]]) };
    const content = "refund refund policy for annual plans";
    expect(bm25Score(content, "Refunds", qts, stats)).toBeCloseTo(reference(content, "Refunds", qts, stats, 2, 1.2, 0.9), 12);
    expect(bm25Score(content, "Refunds", qts, stats, 0.5, 1.2, 0.75)).toBeCloseTo(reference(content, "Refunds", qts, stats, 0.5, 1.2, 0.75), 12);
    expect(bm25Score(content, "Refunds", qts, stats, 2)).toBeGreaterThan(bm25Score(content, "Refunds", qts, stats, 0.5));
  });

  it("memoised stems are the stemmer's", () => {
    for (const w of ["running", "refunds", "pricing", "knees", "running"]) expect(porter(w)).toBe(stemmer(w));
  });
});
