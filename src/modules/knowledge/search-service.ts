// Search as the API offers it: validates the limit against the setting, records the metric.
import type { Env } from "../../env";
import { config } from "../../config";
import { recordMetric } from "../../ai/metrics";
import { search, type MetadataFilter, type SearchMode } from "../../ai/retrieve";
import { invalid } from "../../lib/errors";

export interface ApiSearchInput {
  query: string;
  limit?: number;
  knowledgeBaseIds?: string[];
  metadata?: MetadataFilter;
  mode?: SearchMode;
}

export async function searchKnowledge(env: Env, creatorId: string, input: ApiSearchInput) {
  const max = config(env).knowledge.searchMaxLimit;
  const limit = input.limit ?? 10;
  if (limit > max) throw invalid([{ field: "limit", message: `Must be at most ${max}` }]);
  if (!input.query.trim()) throw invalid([{ field: "query", message: "Must not be empty" }]);
  const started = performance.now();
  const result = await search(env, creatorId, { ...input, limit });
  await recordMetric(env, creatorId, { kind: "search", retrievalMs: result.took_ms, totalMs: performance.now() - started, sourcesCount: result.total, cacheHit: result.cache_hit });
  return result;
}
