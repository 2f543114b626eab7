// Sends the isolate's pending deltas to the one MetricsStore object, off the request path. Each
// request hands a flush to its own `waitUntil`, so the runtime keeps the isolate until a flush that
// carries that request's counts has reached the store: an isolate that goes away loses nothing.
// Requests batch by time slot: a request's flush fires at the end of the current BATCH_WINDOW_MS
// slot, the first to fire takes everything pending (the deltas of every request that ended in the
// slot) and the others find nothing left to send — one RPC per slot of a busy isolate, never a wait
// on another request's promise (workerd forbids I/O across requests). The cost is measured in
// bench/metrics-flush.ts. METRICS_FLUSH=interval keeps the old "at most every 2 s" batching, which
// could lose up to 2 s of counts on eviction (kept for that comparison and for tests that wait on
// every waitUntil).
import type { Env } from "../../env";
import { config } from "../../config";
import { log } from "../../lib/logging";
import { pendingEvents, restore, take } from "./registry";

const FLUSH_INTERVAL_MS = 2000;
const FLUSH_EVENTS = 500;
/** A request's flush fires at the end of the current slot of this length (after its response went out). */
const BATCH_WINDOW_MS = 50;
let lastFlush = 0;
let inFlight = 0;

export function metricsStore(env: Env) {
  return env.METRICS.get(env.METRICS.idFromName("global"));
}

/** Sends whatever is pending now (in the caller's own request context). */
export async function flushMetrics(env: Env): Promise<void> {
  const deltas = take();
  if (!deltas) return;
  lastFlush = Date.now();
  inFlight++;
  try {
    await metricsStore(env).add(deltas);
  } catch (err) {
    // Given back: the next flush sends them.
    restore(deltas);
    log("warn", "metrics flush failed", { error: String(err) });
  } finally {
    inFlight--;
  }
}

/** Called after each request, with its waitUntil. */
export function flushSoon(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  if (!env.METRICS) return;
  if (config(env).metricsFlush === "request") {
    const delay = BATCH_WINDOW_MS - (Date.now() % BATCH_WINDOW_MS);
    waitUntil(new Promise((resolve) => setTimeout(resolve, delay)).then(() => flushMetrics(env)));
    return;
  }
  if (inFlight) return;
  if (pendingEvents() >= FLUSH_EVENTS || Date.now() - lastFlush >= FLUSH_INTERVAL_MS) waitUntil(flushMetrics(env));
}
