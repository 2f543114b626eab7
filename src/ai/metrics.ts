// Pipeline metrics: one row per answer or search; "pipeline performance" reports percentiles of recent ones.
import { desc } from "drizzle-orm";
import { tenant } from "../db/client";
import { aiRequestMetrics } from "../db/schema";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { log } from "../lib/logging";

export interface MetricSample {
  kind: "answer" | "search";
  retrievalMs: number;
  generationMs?: number;
  totalMs: number;
  sourcesCount?: number;
  modelUsed?: string;
  cacheHit?: boolean;
}

export async function recordMetric(env: Env, creatorId: string, sample: MetricSample): Promise<void> {
  try {
    await tenant(env.DB, creatorId)
      .db.insert(aiRequestMetrics)
      .values({
        id: newId(),
        creatorId,
        kind: sample.kind,
        retrievalMs: sample.retrievalMs,
        generationMs: sample.generationMs ?? 0,
        totalMs: sample.totalMs,
        sourcesCount: sample.sourcesCount ?? 0,
        modelUsed: sample.modelUsed ?? null,
        cacheHit: sample.cacheHit ?? false,
      })
      .run();
  } catch (err) {
    // Metrics never fail an answer.
    log("warn", "metric not recorded", { error: String(err) });
  }
}

export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

const RECENT = 500;

export async function pipelinePerformance(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(aiRequestMetrics).where(t.where(aiRequestMetrics)).orderBy(desc(aiRequestMetrics.createdAt)).limit(RECENT).all();
  const stat = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { count: sorted.length, p50_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95), max_ms: sorted.length ? sorted[sorted.length - 1]! : null };
  };
  const answers = rows.filter((r) => r.kind === "answer");
  const searches = rows.filter((r) => r.kind === "search");
  return {
    window: { requests: rows.length, limit: RECENT, since: rows.length ? rows[rows.length - 1]!.createdAt : null },
    retrieval: stat(rows.map((r) => r.retrievalMs)),
    generation: stat(answers.map((r) => r.generationMs)),
    answer_total: stat(answers.map((r) => r.totalMs)),
    search_total: stat(searches.map((r) => r.totalMs)),
    cache_hit_rate: searches.length ? Math.round((searches.filter((r) => r.cacheHit).length / searches.length) * 1000) / 1000 : null,
    average_sources: answers.length ? Math.round((answers.reduce((a, r) => a + r.sourcesCount, 0) / answers.length) * 100) / 100 : null,
  };
}

