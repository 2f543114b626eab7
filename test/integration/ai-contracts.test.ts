// One contract suite for every AI provider and vector store that can run here.
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { localProvider } from "../../src/ai/providers/local";
import { openAiProvider } from "../../src/ai/providers/openai";
import { workersAiProvider } from "../../src/ai/providers/workers-ai";
import type { AiProvider } from "../../src/ai/providers/types";
import { d1VectorStore } from "../../src/ai/vector-store/d1";
import { TopK, type VectorStore } from "../../src/ai/vector-store/types";
import { vectorizeStore } from "../../src/ai/vector-store/vectorize";
import { buildPrompt } from "../../src/ai/prompt";
import { vectorizeStandIn } from "../vectorize-stand-in";

/** Stand-in for the Workers AI binding (no local simulation exists): the documented input/output shapes. */
function workersAiStandIn(): Ai {
  return {
    async run(model: string, input: any) {
      if (model.includes("bge")) return { shape: [input.text.length, 8], data: input.text.map((t: string) => Array.from({ length: 8 }, (_, i) => ((t.length + i) % 5) + 1)) };
      const encoder = new TextEncoder();
      return new ReadableStream({
        start(controller) {
          for (const piece of ["Grounded ", "answer [1]"]) controller.enqueue(encoder.encode(`data: ${JSON.stringify({ response: piece })}\n\n`));
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          controller.close();
        },
      });
    },
  } as unknown as Ai;
}

const providers: [string, () => AiProvider][] = [
  ["local", () => localProvider(384)],
  ["openai (local stand-in server)", () => openAiProvider({ baseUrl: inject("openaiStubUrl"), chatModel: "stub-chat", embeddingModel: "stub-embed" })],
  ["workers-ai (binding stand-in)", () => workersAiProvider(workersAiStandIn(), { chatModel: "@cf/meta/llama-3.1-8b-instruct", embeddingModel: "@cf/baai/bge-base-en-v1.5" })],
];

describe.each(providers)("AiProvider contract: %s", (_name, make) => {
  it("embeds a batch: one L2-normalised vector per text, same dimensions, deterministic", async () => {
    const p = make();
    const texts = ["refund policy", "parking behind the studio", "refund policy"];
    const vectors = await p.embed(texts);
    expect(vectors).toHaveLength(3);
    const dims = vectors[0]!.length;
    for (const v of vectors) {
      expect(v.length).toBe(dims);
      const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      expect(norm).toBeCloseTo(1, 4);
    }
    expect(Array.from(vectors[2]!)).toEqual(Array.from(vectors[0]!));
    expect(await p.embed([])).toEqual([]);
    if (p.dimensions !== undefined) expect(dims).toBe(p.dimensions);
  });

  it("streams a generation as text deltas and reports health", async () => {
    const p = make();
    const prompt = buildPrompt({ question: "What is the refund window?", sources: [{ title: "FAQ", content: "Refunds are possible within 30 days." }], fallback: "I don't know." });
    const deltas: string[] = [];
    for await (const d of p.generate(prompt)) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.join("").trim().length).toBeGreaterThan(0);
    expect((await p.health()).status).toBe("available");
    expect(p.chatModel).toBeTruthy();
    expect(p.embeddingModel).toBeTruthy();
  });
});

describe("AiProvider failures", () => {
  it("openai: a failing server is an error, and health says unavailable when the server can't list models", async () => {
    const p = openAiProvider({ baseUrl: inject("openaiStubUrl"), chatModel: "c", embeddingModel: "e" });
    await expect(p.embed(["FAIL_EMBEDDING"])).rejects.toThrow(/answered 500/);
    const down = openAiProvider({ baseUrl: `${inject("openaiStubUrl")}/missing`, chatModel: "c", embeddingModel: "e" });
    expect((await down.health()).status).toBe("unavailable");
  });
  it("workers-ai without its binding says so", async () => {
    const p = workersAiProvider(undefined, { chatModel: "c", embeddingModel: "e" });
    expect((await p.health()).status).toBe("unavailable");
    await expect(p.embed(["x"])).rejects.toThrow(/AI binding/);
  });
});

function unit(seed: number, dims = 8): Float32Array {
  const v = Float32Array.from({ length: dims }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233));
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / n);
}

let seqCounter = 1_000_000;
const stores: [string, () => VectorStore][] = [
  ["d1 (page size 16)", () => d1VectorStore(env.DB, 16)],
  // Pages of 64 sketches in batches of 4 slices (each slice starts where the one before ended).
  ["d1 (pages of 64, slices of 16)", () => d1VectorStore(env.DB, 64, 16 * (256 + 12))],
  ["vectorize (binding stand-in)", () => vectorizeStore(vectorizeStandIn())],
];

describe.each(stores)("VectorStore contract: %s", (_name, make) => {
  const record = (id: string, kb: string, doc: string, values: Float32Array) => ({ chunkSeq: seqCounter++, chunkId: id, knowledgeBaseId: kb, documentId: doc, values });

  it("returns the top k by cosine, best first, matching a brute-force ranking (within quantisation)", async () => {
    const store = make();
    const creator = crypto.randomUUID();
    const kb = crypto.randomUUID();
    // More rows than the D1 store keeps as sketch candidates (200): the prefilter is exercised.
    const records = Array.from({ length: 600 }, (_, i) => record(crypto.randomUUID(), kb, `doc-${i % 7}`, unit(i + 1, 64)));
    await store.upsert(creator, records);
    const q = unit(4242, 64);
    const got = await store.query(creator, q, { topK: 10, knowledgeBaseIds: [kb] });
    const expected = records
      .map((r) => ({ id: r.chunkId, score: r.values.reduce((a, x, i) => a + x * q[i]!, 0) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    const truth = new Map(records.map((r) => [r.chunkId, r.values.reduce((a, x, i) => a + x * q[i]!, 0)]));
    expect(got).toHaveLength(10);
    // Scores are true cosines (int8 storage: within 0.02), best first, and nothing clearly better was missed.
    got.forEach((m) => expect(Math.abs(m.score - truth.get(m.chunkId)!)).toBeLessThan(0.02));
    got.slice(1).forEach((m, i) => expect(m.score).toBeLessThanOrEqual(got[i]!.score));
    expect(Math.min(...got.map((m) => truth.get(m.chunkId)!))).toBeGreaterThan(expected[9]!.score - 0.04);
    expect(truth.get(got[0]!.chunkId)!).toBeGreaterThan(expected[0]!.score - 0.02);
  });

  it("ranks sparse vectors (hashed features, 2048 dims) like a brute force, reading only the query's dimensions", async () => {
    const store = make();
    const creator = crypto.randomUUID();
    const kb = crypto.randomUUID();
    // ~40 non-zero dimensions a document, drawn from a small vocabulary so documents share features.
    const sparse = (seed: number, n: number) => {
      const v = new Float32Array(2048);
      for (let j = 0; j < n; j++) {
        const h = Math.abs(Math.sin(seed * 97.13 + j * 13.7)) * 1e6;
        v[Math.floor(h) % 300]! += (Math.floor(h * 10) % 2 ? 1 : -1) * (1 + (j % 3));
      }
      const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      return v.map((x) => x / norm);
    };
    const records = Array.from({ length: 500 }, (_, i) => record(crypto.randomUUID(), kb, `doc-${i % 5}`, sparse(i + 1, 40)));
    await store.upsert(creator, records);
    const q = records[17]!.values.map((x, i) => (i % 3 === 0 ? x : 0));
    const norm = Math.sqrt(q.reduce((a, x) => a + x * x, 0));
    const query = q.map((x) => x / norm);
    const truth = new Map(records.map((r) => [r.chunkId, r.values.reduce((a, x, i) => a + x * query[i]!, 0)]));
    const expected = [...truth.values()].sort((a, b) => b - a);
    const got = await store.query(creator, query, { topK: 10, knowledgeBaseIds: [kb] });
    expect(got).toHaveLength(10);
    expect(got[0]!.chunkId).toBe(records[17]!.chunkId);
    got.forEach((m) => expect(Math.abs(m.score - truth.get(m.chunkId)!)).toBeLessThan(0.02));
    got.slice(1).forEach((m, i) => expect(m.score).toBeLessThanOrEqual(got[i]!.score));
    expect(Math.min(...got.map((m) => truth.get(m.chunkId)!))).toBeGreaterThan(expected[9]! - 0.04);
    // The document filter (bound twice in every slice) keeps to its documents.
    const filtered = await store.query(creator, query, { topK: 5, knowledgeBaseIds: [kb], documentIds: ["doc-2"] });
    const docOf = new Map(records.map((r) => [r.chunkId, r.documentId]));
    expect(filtered.length).toBe(5);
    filtered.forEach((m) => expect(docOf.get(m.chunkId)).toBe("doc-2"));
  });

  it("filters by knowledge base and document, and never crosses creators", async () => {
    const store = make();
    const a = crypto.randomUUID();
    const b = crypto.randomUUID();
    const kb1 = crypto.randomUUID();
    const kb2 = crypto.randomUUID();
    const v = unit(7);
    await store.upsert(a, [record("a1-" + kb1, kb1, "d1", v), record("a2-" + kb2, kb2, "d2", v)]);
    await store.upsert(b, [record("b1-" + kb1, kb1, "d1", v)]);
    expect((await store.query(a, v, { topK: 5, knowledgeBaseIds: [kb1] })).map((m) => m.chunkId)).toEqual(["a1-" + kb1]);
    expect((await store.query(a, v, { topK: 5, knowledgeBaseIds: [kb1, kb2] })).map((m) => m.chunkId).sort()).toEqual(["a1-" + kb1, "a2-" + kb2].sort());
    expect((await store.query(a, v, { topK: 5, knowledgeBaseIds: [kb1, kb2], documentIds: ["d2"] })).map((m) => m.chunkId)).toEqual(["a2-" + kb2]);
    expect((await store.query(b, v, { topK: 5, knowledgeBaseIds: [kb2] }))).toEqual([]);
    expect((await store.query(a, v, { topK: 5, knowledgeBaseIds: [] }))).toEqual([]);
  });

  it("deletes idempotently", async () => {
    const store = make();
    const c = crypto.randomUUID();
    const kb = crypto.randomUUID();
    const v = unit(9);
    await store.upsert(c, [record("x-" + kb, kb, "d", v), record("y-" + kb, kb, "d", v)]);
    await store.delete(c, ["x-" + kb]);
    await store.delete(c, ["x-" + kb]);
    expect((await store.query(c, v, { topK: 5, knowledgeBaseIds: [kb] })).map((m) => m.chunkId)).toEqual(["y-" + kb]);
  });

  it("deletes every vector of one creator (erasure), idempotently, and nobody else's", async () => {
    const store = make();
    const gone = crypto.randomUUID();
    const kept = crypto.randomUUID();
    const kb = crypto.randomUUID();
    const v = unit(11);
    const mine = Array.from({ length: 5 }, (_, i) => record(`g${i}-${kb}`, kb, "d", v));
    await store.upsert(gone, mine);
    await store.upsert(kept, [record("k-" + kb, kb, "d", v)]);
    // The ids come in pages, as the GDPR job reads them from the chunk rows.
    const pages = async function* () {
      yield mine.slice(0, 3).map((r) => r.chunkId);
      yield mine.slice(3).map((r) => r.chunkId);
    };
    await store.deleteAll(gone, pages);
    await store.deleteAll(gone, pages);
    expect(await store.query(gone, v, { topK: 10, knowledgeBaseIds: [kb] })).toEqual([]);
    expect((await store.query(kept, v, { topK: 10, knowledgeBaseIds: [kb] })).map((m) => m.chunkId)).toEqual(["k-" + kb]);
  });
});

describe("TopK heap", () => {
  it("keeps exactly the k best of a stream", () => {
    const heap = new TopK<{ score: number }>(5);
    const scores = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100);
    for (const score of scores) heap.push({ score });
    expect(heap.sorted().map((x) => x.score)).toEqual([...scores].sort((a, b) => b - a).slice(0, 5));
  });
});
