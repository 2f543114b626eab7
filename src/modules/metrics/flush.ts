// Sends the isolate's pending deltas to the one MetricsStore object, off the request path (waitUntil),
// at most every FLUSH_INTERVAL_MS or when FLUSH_EVENTS are waiting — one RPC per batch, not per request.
import type { Env } from "../../env";
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
  if (inFlight) await inFlight;
  const deltas = take();
  if (!deltas) return;
  lastFlush = Date.now();
  inFlight = metricsStore(env)
    .add(deltas)
    .catch((err: unknown) => {
      restore(deltas);
      log("warn", "metrics flush failed", { error: String(err) });
    })
    .finally(() => (inFlight = null));
  await inFlight;
}

/** Called after each request: flushes only when the batch is due. */
export function flushSoon(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  if (!env.METRICS || inFlight) return;
  if (pendingEvents() >= FLUSH_EVENTS || Date.now() - lastFlush >= FLUSH_INTERVAL_MS) waitUntil(flushMetrics(env));
}
