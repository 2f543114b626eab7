// Sends the isolate's pending deltas to the one MetricsStore object, off the request path. Each
// request hands a flush that will carry its deltas to its own `waitUntil`, so the runtime keeps the
// isolate until its counts have reached the store: an isolate that goes away loses nothing. The
// flush waits BATCH_WINDOW_MS first, and every request finishing meanwhile joins it: one RPC per
// window, not per request (the cost is measured in bench/metrics-flush.ts). METRICS_FLUSH=interval
// restores the old "at most every 2 s" batching, which could lose up to 2 s of counts on eviction
// (kept for the benchmark's comparison).
import type { Env } from "../../env";
import { config } from "../../config";
import { log } from "../../lib/logging";
import { pendingEvents, restore, take } from "./registry";

const FLUSH_INTERVAL_MS = 2000;
const FLUSH_EVENTS = 500;
let lastFlush = 0;
let inFlight: Promise<void> | null = null;
/** How long a request's flush waits for others to join it (after the response has gone out). */
const BATCH_WINDOW_MS = 50;
let scheduled: Promise<void> | null = null;

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
    // Joined by every request that ends before the window closes; it takes their deltas when it fires.
    scheduled ??= new Promise((resolve) => setTimeout(resolve, BATCH_WINDOW_MS)).then(() => {
      scheduled = null;
      return flushMetrics(env);
    });
    waitUntil(scheduled);
    return;
  }
  if (inFlight) return;
  if (pendingEvents() >= FLUSH_EVENTS || Date.now() - lastFlush >= FLUSH_INTERVAL_MS) waitUntil(flushMetrics(env));
}
