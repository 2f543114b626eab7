// Platform signing keys (ES256, with kid): creation, rotation, the JWKS, and an isolate-level cache.
import { desc, eq, or, gt } from "drizzle-orm";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { getDb } from "../../db/client";
import { signingKeys } from "../../db/schema";
import type { Env } from "../../env";
import { decryptText, encryptText } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { config } from "../../config";

export const JWT_ALG = "ES256";

interface KeyCache {
  signer?: { kid: string; key: CryptoKey; loadedAt: number };
  verifiers: Map<string, CryptoKey>;
  /** When the verifiers were last matched against the published set. */
  verifiersLoadedAt: number;
  lastReload: number;
}

// Another isolate's rotation reaches this one within the key cache TTL (KEY_CACHE_TTL_SECONDS,
// default 30 s): the retired key stops signing everywhere, and a key whose publication has ended
// stops verifying everywhere. Its old key stays published far longer than that, so the delay never
// breaks a token.
const cacheTtlMs = (env: Env) => config(env).keys.cacheTtlSeconds * 1000;
// An unknown kid reloads the key table at most this often (a flood of made-up kids can't hammer D1).
const RELOAD_MIN_INTERVAL_MS = 2_000;

const caches = new WeakMap<D1Database, KeyCache>();

function cacheFor(env: Env): KeyCache {
  let c = caches.get(env.DB);
  if (!c) {
    c = { verifiers: new Map(), verifiersLoadedAt: Date.now(), lastReload: 0 };
    caches.set(env.DB, c);
  }
  return c;
}

async function createKey(env: Env): Promise<{ kid: string; key: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair(JWT_ALG, { extractable: true });
  const kid = crypto.randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALG, use: "sig" };
  const privateJwk = await exportJWK(privateKey);
  await getDb(env.DB)
    .insert(signingKeys)
    .values({
      kid,
      alg: JWT_ALG,
      publicJwk: publicJwk as JsonWebKey,
      privateJwkEnc: await encryptText(env.ENCRYPTION_KEY, JSON.stringify(privateJwk)),
      status: "active",
    });
  // This isolate verifies its own new tokens at once, without waiting for a reload.
  cacheFor(env).verifiers.set(kid, publicKey as CryptoKey);
  return { kid, key: privateKey as CryptoKey };
}

/** The key that signs new tokens: the newest active one, created on first use. */
export async function currentSigner(env: Env): Promise<{ kid: string; key: CryptoKey }> {
  const cache = cacheFor(env);
  if (cache.signer && Date.now() - cache.signer.loadedAt < cacheTtlMs(env)) return cache.signer;
  const row = await getDb(env.DB)
    .select()
    .from(signingKeys)
    .where(eq(signingKeys.status, "active"))
    .orderBy(desc(signingKeys.createdAt))
    .get();
  let signer: { kid: string; key: CryptoKey };
  if (row) {
    const jwk = JSON.parse(await decryptText(env.ENCRYPTION_KEY, row.privateJwkEnc)) as JWK;
    signer = { kid: row.kid, key: (await importJWK(jwk, JWT_ALG)) as CryptoKey };
  } else {
    signer = await createKey(env);
  }
  cache.signer = { ...signer, loadedAt: Date.now() };
  return signer;
}

/** The public key for a kid, or null when the kid is unknown or no longer published. */
export async function verifierFor(env: Env, kid: string): Promise<CryptoKey | null> {
  const cache = cacheFor(env);
  const stale = Date.now() - cache.verifiersLoadedAt >= cacheTtlMs(env);
  const hit = cache.verifiers.get(kid);
  if (hit && !stale) return hit;
  // A stale cache is always re-read (once per TTL); an unknown kid at most every RELOAD_MIN_INTERVAL_MS.
  if (!stale && Date.now() - cache.lastReload < RELOAD_MIN_INTERVAL_MS) return null;
  cache.lastReload = Date.now();
  const published = (await publishedKeys(env)) as JWK[];
  const keep = new Set(published.map((j) => j.kid));
  for (const known of [...cache.verifiers.keys()]) if (!keep.has(known)) cache.verifiers.delete(known);
  for (const jwk of published) {
    if (jwk.kid && !cache.verifiers.has(jwk.kid)) {
      cache.verifiers.set(jwk.kid, (await importJWK(jwk, JWT_ALG)) as CryptoKey);
    }
  }
  cache.verifiersLoadedAt = Date.now();
  return cache.verifiers.get(kid) ?? null;
}

/** Keys in the JWKS: the active ones, and retired ones until every token they signed has expired. */
export async function publishedKeys(env: Env): Promise<JsonWebKey[]> {
  const now = new Date().toISOString();
  const rows = await getDb(env.DB)
    .select({ publicJwk: signingKeys.publicJwk })
    .from(signingKeys)
    .where(or(eq(signingKeys.status, "active"), gt(signingKeys.publishUntil, now)))
    .orderBy(desc(signingKeys.createdAt))
    .all();
  return rows.map((r) => r.publicJwk);
}

export async function rotateKeys(env: Env): Promise<{ kid: string; retired: string[] }> {
  const cfg = config(env);
  const db = getDb(env.DB);
  const newest = await db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).get();
  const minInterval = cfg.keyRotationMinIntervalSeconds * 1000;
  if (newest && Date.now() - Date.parse(newest.createdAt) < minInterval) {
    const retryAfter = Math.ceil((Date.parse(newest.createdAt) + minInterval - Date.now()) / 1000);
    throw new AppError("RATE_LIMIT_EXCEEDED", "Signing keys were rotated moments ago", [], {
      "Retry-After": String(Math.max(1, retryAfter)),
    });
  }
  const active = await db.select({ kid: signingKeys.kid }).from(signingKeys).where(eq(signingKeys.status, "active")).all();
  const now = new Date();
  // The longest-lived token the old key may still sign: other isolates keep signing with it for up
  // to the cache TTL, and the longest token kind (access or widget) lives on after that.
  const longestTtl = Math.max(cfg.jwt.accessTtlSeconds, cfg.realtime.widgetTokenTtlSeconds);
  const publishUntil = new Date(now.getTime() + (cfg.keys.cacheTtlSeconds + longestTtl + cfg.jwt.leewaySeconds + 60) * 1000);
  const created = await createKey(env);
  for (const { kid } of active) {
    await db
      .update(signingKeys)
      .set({ status: "retired", retiredAt: now.toISOString(), publishUntil: publishUntil.toISOString() })
      .where(eq(signingKeys.kid, kid));
  }
  const cache = cacheFor(env);
  cache.signer = { ...created, loadedAt: Date.now() };
  return { kid: created.kid, retired: active.map((a) => a.kid) };
}

/** The cron's part: rotate when the active key is older than JWT_KEY_ROTATION_DAYS (0 = never). */
export async function rotateKeysIfDue(env: Env): Promise<{ kid: string; retired: string[] } | null> {
  const days = config(env).keys.rotationDays;
  if (days <= 0) return null;
  const active = await getDb(env.DB)
    .select({ createdAt: signingKeys.createdAt })
    .from(signingKeys)
    .where(eq(signingKeys.status, "active"))
    .orderBy(desc(signingKeys.createdAt))
    .get();
  // No key yet: the first sign-in creates one; nothing to rotate.
  if (!active || Date.now() - Date.parse(active.createdAt) < days * 86_400_000) return null;
  return rotateKeys(env);
}
