// Stand-in for a Vectorize index (no local simulation exists): namespaces, $in metadata filters,
// cosine scores, deleteByIds — the documented shapes, plus what a test needs to look inside.
export interface VectorizeStandIn extends VectorizeIndex {
  /** Ids stored in a namespace. */
  idsIn(namespace: string): string[];
  /** When set, deleteByIds rejects (a Vectorize outage). */
  failDeletes: boolean;
}

export function vectorizeStandIn(): VectorizeStandIn {
  const rows = new Map<string, { id: string; namespace?: string; values: number[]; metadata?: Record<string, any> }>();
  const index = {
    failDeletes: false,
    idsIn: (namespace: string) => [...rows.values()].filter((r) => r.namespace === namespace).map((r) => r.id),
    async upsert(vectors: any[]) {
      for (const v of vectors) rows.set(v.id, v);
      return { ids: vectors.map((v) => v.id), count: vectors.length };
    },
    async query(vector: number[], opts: any) {
      const matches = [...rows.values()]
        .filter((r) => r.namespace === opts.namespace)
        .filter((r) => Object.entries(opts.filter ?? {}).every(([k, cond]: [string, any]) => cond.$in.includes(r.metadata?.[k])))
        .map((r) => ({ id: r.id, score: r.values.reduce((a, x, i) => a + x * vector[i]!, 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, opts.topK);
      return { matches, count: matches.length };
    },
    async deleteByIds(ids: string[]) {
      if (index.failDeletes) throw new Error("Vectorize unavailable");
      for (const id of ids) rows.delete(id);
      return { ids, count: ids.length };
    },
  };
  return index as unknown as VectorizeStandIn;
}
