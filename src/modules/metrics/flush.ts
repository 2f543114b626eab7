// Sends the isolate's pending deltas to the one MetricsStore object, off the request path. Each
// request hands its flush to its own `waitUntil`, so the runtime keeps the isolate until its counts
// have reached the store: an isolate that goes away loses nothing. Requests that finish while a
// flush is in flight wait for it and then send together whatever gathered meanwhile — one RPC per
// batch of concurrent requests, one per request when they come one at a time (the cost measured in
// bench/metrics-flush.ts). METRICS_FLUSH=interval restores the old "at most every 2 s" batching,
// which could lose up to 2 s of counts on eviction (kept for the benchmark's comparison).
import type { Env } from "../../env";
import { config } from "../../config";
import { log } from "../../lib/logging";
import { pendingEvents, restore, take } from "./registry";

const FLUSH_INTERVAL_MS = 2000;
const FLUSH_EVENTS = 500;
let lastFlush = 0;
let inFlight: Promise<void> | null = null;

export function metricsStore(env: Env) {
  return env.METRICS.get(env.METRICS.idFromName("global"));
}

export async function flushMetrics(env: Env): Promise<void> {
  while (inFlight) await inFlight;
  const deltas = take();
  if (!deltas) return;
  lastFlush = Date.now();
  inFlight = metricsStore(env)
    .add(deltas)
    .catch((err: unknown) => {
      // Given back: the next request's flush sends them.
      restore(deltas);
      log("warn", "metrics flush failed", { error: String(err) });
    })
    .finally(() => (inFlight = null));
  await inFlight;
}

/** Called after each request, with its waitUntil. */
export function flushSoon(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  if (!env.METRICS) return;
  if (config(env).metricsFlush === "request") {
    waitUntil(flushMetrics(env));
    return;
  }
  if (inFlight) return;
  if (pendingEvents() >= FLUSH_EVENTS || Date.now() - lastFlush >= FLUSH_INTERVAL_MS) waitUntil(flushMetrics(env));
}
