// Reading rollups: a few indexed range reads per request, whose D1 rows read are reported (the
// benchmark shows they depend on the period and the channels, never on the number of messages).
import type { Env } from "../../env";

export const COUNTERS = [
  "user_messages",
  "ai_messages",
  "agent_messages",
  "unanswered",
  "conversations",
  "new_users",
  "engaged_conversations",
  "handovers",
  "resolved",
  "ai_resolved",
  "resolution_seconds",
  "response_count",
  "response_seconds",
  "human_reply_count",
  "human_reply_seconds",
  "rating_count",
  "rating_sum",
] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counters = Record<Counter, number>;
export interface RollupRow extends Counters {
  bucket: string;
  channel: string;
}

export const zero = (): Counters => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters;

export function addInto(into: Counters, row: Counters): Counters {
  for (const c of COUNTERS) into[c] += Number(row[c] ?? 0);
  return into;
}

/** Channel names as the specs show them: the widget is the `web` channel. */
export const channelName = (stored: string) => (stored === "widget" ? "web" : stored);

/** Runs read statements as one batch and counts the rows D1 read for them. */
export class Reads {
  rowsRead = 0;
  constructor(private readonly env: Env) {}

  async batch<T extends unknown[]>(statements: D1PreparedStatement[]): Promise<{ [K in keyof T]: T[K][] }> {
    const results = await this.env.DB.batch(statements);
    for (const r of results) this.rowsRead += Number(r.meta?.rows_read ?? 0);
    return results.map((r) => r.results) as { [K in keyof T]: T[K][] };
  }

  rollups(creatorId: string, granularity: "h" | "d", from: string, to: string): D1PreparedStatement {
    return this.env.DB.prepare(
      `SELECT bucket, channel, ${COUNTERS.join(", ")} FROM analytics_rollups
       WHERE creator_id = ? AND granularity = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
    ).bind(creatorId, granularity, from, to);
  }

  /** The same counters per segment of one dimension (program, user_type); `channel` carries the segment. */
  segmentRollups(creatorId: string, granularity: "h" | "d", dimension: string, from: string, to: string): D1PreparedStatement {
    return this.env.DB.prepare(
      `SELECT bucket, segment AS channel, ${COUNTERS.join(", ")} FROM analytics_segment_rollups
       WHERE creator_id = ? AND granularity = ? AND dimension = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
    ).bind(creatorId, granularity, dimension, from, to);
  }
}

export const ratio = (num: number, den: number, digits = 3): number | null => (den > 0 ? Math.round((num / den) * 10 ** digits) / 10 ** digits : null);
