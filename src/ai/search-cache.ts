// The query cache (Cache API). Keys include the revisions of the knowledge bases searched, so any
// change to a base (upload completed, delete, update, explicit invalidation) makes old entries unreachable.
import { sha256Hex } from "../lib/crypto";

const ORIGIN = "https://search-cache.edgecoach.internal";

async function cacheKey(creatorId: string, revisions: string, params: unknown): Promise<Request> {
  const hash = await sha256Hex(`${revisions}|${JSON.stringify(params)}`);
  return new Request(`${ORIGIN}/${creatorId}/${hash}`);
}

function cache(): Cache | undefined {
  return typeof caches !== "undefined" ? (caches as unknown as { default: Cache }).default : undefined;
}

export async function cachedSearch<T>(
  creatorId: string,
  revisions: string,
  params: unknown,
  ttlSeconds: number,
  compute: () => Promise<T>,
): Promise<{ value: T; hit: boolean }> {
  const store = ttlSeconds > 0 ? cache() : undefined;
  if (!store) return { value: await compute(), hit: false };
  const key = await cacheKey(creatorId, revisions, params);
  const found = await store.match(key);
  if (found) return { value: (await found.json()) as T, hit: true };
  const value = await compute();
  await store.put(key, new Response(JSON.stringify(value), { headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${ttlSeconds}` } }));
  return { value, hit: false };
}
