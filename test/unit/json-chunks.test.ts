// Rows bound as JSON arrays stay under D1's per-string limit, counted in UTF-8 bytes, in order.
import { describe, expect, it } from "vitest";
import { jsonChunks } from "../../src/lib/json-chunks";

const utf8 = (s: string) => new TextEncoder().encode(s).length;

describe("jsonChunks", () => {
  it("splits into arrays under the byte limit that together hold every item in order", () => {
    // Characters of 1, 2, 3 and 4 (a surrogate pair) UTF-8 bytes.
    const items = Array.from({ length: 60 }, (_, i) => ({ i, text: ["a", "é", "€", "😀"][i % 4]!.repeat(250) }));
    const chunks = jsonChunks(items, 4000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(utf8(c)).toBeLessThanOrEqual(4000);
    expect(chunks.flatMap((c) => JSON.parse(c))).toEqual(items);
    // Packed, not one item a chunk: each chunk but the last could not take the next item.
    const sizes = chunks.map((c) => JSON.parse(c).length);
    expect(sizes.slice(0, -1).every((n) => n > 1)).toBe(true);
  });

  it("no items: no chunk; one item over the limit travels alone", () => {
    expect(jsonChunks([])).toEqual([]);
    const big = { text: "x".repeat(100) };
    expect(jsonChunks([1, big, 2], 50)).toEqual(["[1]", JSON.stringify([big]), "[2]"]);
  });
});
