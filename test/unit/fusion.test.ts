// fuse(): the hybrid list search() returns (and the SciFact harness measures). RRF and z-score fusion,
// either list empty, deterministic ties, positive scores.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FUSION, fuse, RRF_K } from "../../src/ai/retrieve";

const list = (...pairs: [string, number][]) => pairs.map(([id, score]) => ({ id, score }));

describe("fuse", () => {
  it("z-score fusion with an empty vector list keeps the BM25 order and scores", () => {
    const lex = list(["a", 9], ["b", 5], ["c", 1]);
    const out = fuse(lex, [], { kind: "zscore", bm25: 1, vector: 0.2 });
    expect(out.map((f) => f.id)).toEqual(["a", "b", "c"]);
    expect(out.map((f) => f.bm25)).toEqual([9, 5, 1]);
    expect(out.every((f) => f.vector === null && f.score > 0 && f.score < 1)).toBe(true);
  });

  it("z-score fusion with an empty BM25 list keeps the vector order", () => {
    const out = fuse([], list(["x", 0.9], ["y", 0.4]), { kind: "zscore", bm25: 1, vector: 0.2 });
    expect(out.map((f) => f.id)).toEqual(["x", "y"]);
    expect(out.every((f) => f.bm25 === null)).toBe(true);
  });

  it("both lists empty: nothing", () => {
    expect(fuse([], [], FUSION)).toEqual([]);
    expect(fuse([], [], { kind: "rrf", bm25: 1, vector: 0.5 })).toEqual([]);
  });

  it("a single candidate (no spread) still comes back, with its raw scores", () => {
    const out = fuse(list(["a", 3]), list(["a", 0.5]), { kind: "zscore", bm25: 1, vector: 0.2 });
    expect(out).toEqual([{ id: "a", score: 0.5, bm25: 3, vector: 0.5 }]);
  });

  it("z-score keeps how far apart the scores are: a BM25 hit far ahead isn't overtaken by the vector list's favourite", () => {
    // RRF sees only ranks: b is 2nd lexically and 1st by vector, a 1st and 3rd, so b wins; z-score sees that a is far ahead.
    const lex = list(["a", 30], ["b", 10], ["c", 9], ["d", 8]);
    const sem = list(["b", 0.5], ["c", 0.495], ["a", 0.49], ["d", 0.1]);
    expect(fuse(lex, sem, { kind: "rrf", bm25: 1, vector: 1 })[0]!.id).toBe("b");
    expect(fuse(lex, sem, { kind: "zscore", bm25: 1, vector: 1 })[0]!.id).toBe("a");
  });

  it("a candidate missing from a list counts that list's lowest standardised score", () => {
    // c is only in the vector list; with equal weights it ranks as if it were last lexically.
    const out = fuse(list(["a", 3], ["b", 1]), list(["c", 0.9], ["a", 0.5], ["b", 0.1]), { kind: "zscore", bm25: 1, vector: 1 });
    expect(out.map((f) => f.id)).toEqual(["a", "c", "b"]);
    expect(out.find((f) => f.id === "c")!.bm25).toBeNull();
  });

  it("RRF adds weight / (k + rank)", () => {
    const out = fuse(list(["a", 2], ["b", 1]), list(["b", 0.9]), { kind: "rrf", bm25: 1, vector: 0.5 });
    expect(out.map((f) => f.id)).toEqual(["b", "a"]);
    expect(out[0]!.score).toBeCloseTo(1 / (RRF_K + 2) + 0.5 / (RRF_K + 1), 12);
    expect(out[1]!.score).toBeCloseTo(1 / (RRF_K + 1), 12);
  });

  it("z-score ties are broken by id, whatever the input order", () => {
    const z = { kind: "zscore", bm25: 1, vector: 0.2 } as const;
    const a = fuse(list(["b", 1], ["a", 1], ["c", 1]), [], z).map((f) => f.id);
    const b = fuse(list(["c", 1], ["a", 1], ["b", 1]), [], z).map((f) => f.id);
    expect(a).toEqual(["a", "b", "c"]);
    expect(b).toEqual(a);
  });

  it("for any lists: every candidate once, scores in (0, 1) and non-increasing, same result twice", () => {
    const scored = fc.uniqueArray(fc.record({ id: fc.constantFrom(..."abcdefghij"), score: fc.double({ min: 0, max: 50, noNaN: true }) }), { selector: (m) => m.id, maxLength: 10 });
    fc.assert(
      fc.property(scored, scored, fc.double({ min: 0, max: 2, noNaN: true }), (lexRaw, semRaw, wv) => {
        const lex = [...lexRaw].sort((x, y) => y.score - x.score);
        const sem = [...semRaw].sort((x, y) => y.score - x.score);
        const out = fuse(lex, sem, { kind: "zscore", bm25: 1, vector: wv });
        expect(new Set(out.map((f) => f.id))).toEqual(new Set([...lex, ...sem].map((m) => m.id)));
        expect(out.length).toBe(new Set([...lex, ...sem].map((m) => m.id)).size);
        out.forEach((f, i) => {
          expect(f.score).toBeGreaterThan(0);
          expect(f.score).toBeLessThan(1);
          if (i) expect(f.score).toBeLessThanOrEqual(out[i - 1]!.score);
        });
        expect(fuse(lex, sem, { kind: "zscore", bm25: 1, vector: wv })).toEqual(out);
      }),
      { numRuns: 300 },
    );
  });
});
