// The isolate's pending metric deltas: counters and histogram buckets summed in memory (a Map update
// per event, no I/O), handed in batches to the MetricsStore object by `flush.ts`.

/** Latency buckets (seconds): from a cached read to a slow AI answer. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type Labels = Record<string, string | number>;

let pending = new Map<string, number>();
let events = 0;

/** A series key: `name{a="x",b="y"}` with label values escaped as Prometheus text wants them. */
export function seriesKey(name: string, labels: Labels = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `${name}{${parts.join(",")}}` : name;
}

/** Series keys per label set, built once: a request then costs a few Map updates, no sorting or escaping. */
const keyCache = new Map<string, string[]>();
const KEY_CACHE_MAX = 10_000;

function cachedKeys(kind: string, name: string, labels: Labels, build: () => string[]): string[] {
  let id = `${kind}\u0001${name}`;
  for (const k in labels) id += `\u0001${k}=${labels[k]}`;
  let keys = keyCache.get(id);
  if (!keys) {
    keys = build();
    if (keyCache.size < KEY_CACHE_MAX) keyCache.set(id, keys);
  }
  return keys;
}

function add(key: string, by: number): void {
  pending.set(key, (pending.get(key) ?? 0) + by);
}

export function inc(name: string, labels: Labels = {}, by = 1): void {
  add(cachedKeys("c", name, labels, () => [seriesKey(name, labels)])[0]!, by);
  events++;
}

/** A histogram observation: cumulative buckets (le), _sum and _count, as Prometheus defines them. */
export function observe(name: string, labels: Labels, seconds: number): void {
  const keys = cachedKeys("h", name, labels, () => [
    ...LATENCY_BUCKETS.map((le) => seriesKey(`${name}_bucket`, { ...labels, le })),
    seriesKey(`${name}_bucket`, { ...labels, le: "+Inf" }),
    seriesKey(`${name}_sum`, labels),
    seriesKey(`${name}_count`, labels),
  ]);
  const n = LATENCY_BUCKETS.length;
  for (let i = 0; i < n; i++) if (seconds <= LATENCY_BUCKETS[i]!) add(keys[i]!, 1);
  add(keys[n]!, 1);
  add(keys[n + 1]!, seconds);
  add(keys[n + 2]!, 1);
  events++;
}

export function pendingEvents(): number {
  return events;
}

/** Takes everything pending (the caller sends it; on failure it gives it back with `restore`). */
export function take(): Record<string, number> | null {
  if (!pending.size) return null;
  const out = Object.fromEntries(pending);
  pending = new Map();
  events = 0;
  return out;
}

/** A failed flush puts its deltas back, so a brief outage of the store loses nothing. */
export function restore(deltas: Record<string, number>): void {
  for (const [k, v] of Object.entries(deltas)) add(k, v);
}
