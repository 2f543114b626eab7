// The vector store contract: d1 (embedded default) and vectorize (production), one contract test suite.

export interface VectorRecord {
  chunkSeq: number;
  chunkId: string;
  knowledgeBaseId: string;
  documentId: string;
  values: Float32Array;
}

export interface VectorQuery {
  topK: number;
  /** Always given: a query never spans knowledge bases the caller didn't name (or own). */
  knowledgeBaseIds: string[];
  /** Narrows to these documents (metadata filters resolve to document ids). */
  documentIds?: string[];
  /**
   * Each knowledge base's revision (bumped by every change to its documents): lets a store keep what
   * it scanned of a base in memory until the base changes. Without it nothing is kept.
   */
  revisions?: Record<string, number>;
}

export interface VectorMatch {
  chunkId: string;
  /** Cosine similarity (vectors are L2-normalised). */
  score: number;
}

export interface VectorStore {
  readonly name: "d1" | "vectorize";
  upsert(creatorId: string, records: VectorRecord[]): Promise<void>;
  /**
   * D1 store only: statements that store the vectors of chunks inserted earlier in the same D1
   * batch (one transaction for chunks and vectors during ingestion).
   */
  statements?(creatorId: string, records: Omit<VectorRecord, "chunkSeq">[]): D1PreparedStatement[];
  query(creatorId: string, vector: Float32Array, query: VectorQuery): Promise<VectorMatch[]>;
  /** Removes the vectors of these chunks (idempotent). */
  delete(creatorId: string, chunkIds: string[]): Promise<void>;
  /**
   * Removes every vector of the creator (GDPR erasure); idempotent. `chunkIds` pages through the
   * creator's chunk ids: Vectorize can neither list nor drop a namespace, so it deletes by id.
   */
  deleteAll(creatorId: string, chunkIds: () => AsyncIterable<string[]>): Promise<void>;
  /** Vectors stored for the creator, when the store can count them cheaply. */
  count(creatorId: string): Promise<number | undefined>;
}

/** A bounded min-heap that keeps the k best matches seen so far. */
export class TopK<T extends { score: number }> {
  private heap: T[] = [];
  constructor(private readonly k: number) {}

  get size() {
    return this.heap.length;
  }

  /** The score a newcomer has to beat once the heap is full. */
  get threshold(): number {
    return this.heap.length < this.k ? -Infinity : this.heap[0]!.score;
  }

  push(item: T): void {
    if (this.k <= 0) return;
    const h = this.heap;
    if (h.length < this.k) {
      h.push(item);
      let i = h.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (h[parent]!.score <= h[i]!.score) break;
        [h[parent], h[i]] = [h[i]!, h[parent]!];
        i = parent;
      }
      return;
    }
    if (item.score <= h[0]!.score) return;
    h[0] = item;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.score < h[m]!.score) m = l;
      if (r < h.length && h[r]!.score < h[m]!.score) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }

  /** Best first. */
  sorted(): T[] {
    return [...this.heap].sort((a, b) => b.score - a.score);
  }
}
