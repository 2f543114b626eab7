// /metrics: this isolate's pending deltas first, then the store's totals and the live gauges.
import { sql } from "drizzle-orm";
import { getDb } from "../../db/client";
import { conversationPresence } from "../../db/schema";
import type { Env } from "../../env";
import { render } from "./exposition";
import { flushMetrics, metricsStore } from "./flush";
import { seriesKey } from "./registry";

export async function scrape(env: Env): Promise<string> {
  await flushMetrics(env);
  const [rows, presence] = await Promise.all([
    metricsStore(env).all(),
    // Live sockets: the conversation objects keep these presence counters current in D1.
    getDb(env.DB)
      .select({ user: sql<number>`coalesce(sum(${conversationPresence.userSockets}), 0)`, agent: sql<number>`coalesce(sum(${conversationPresence.agentSockets}), 0)` })
      .from(conversationPresence)
      .get(),
  ]);
  const series = rows.map((r): [string, number] => [r.key, r.value]);
  const gauges: [string, number][] = [
    [seriesKey("edgecoach_websocket_connections", { role: "user" }), presence?.user ?? 0],
    [seriesKey("edgecoach_websocket_connections", { role: "agent" }), presence?.agent ?? 0],
    [seriesKey("edgecoach_metrics_store_series"), series.length],
  ];
  return render(series, gauges);
}
