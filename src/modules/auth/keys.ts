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
  lastReload: number;
}

// Another isolate's rotation reaches this one within SIGNER_TTL_MS; its old key stays published
// (and so verifiable) far longer than that, so the delay never breaks a token.
const SIGNER_TTL_MS = 30_000;
// An unknown kid reloads the key table at most this often (a flood of made-up kids can't hammer D1).
const RELOAD_MIN_INTERVAL_MS = 2_000;

const caches = new WeakMap<D1Database, KeyCache>();

function cacheFor(env: Env): KeyCache {
  let c = caches.get(env.DB);
  if (!c) {
    c = { verifiers: new Map(), lastReload: 0 };
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
  if (cache.signer && Date.now() - cache.signer.loadedAt < SIGNER_TTL_MS) return cache.signer;
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
  const hit = cache.verifiers.get(kid);
  if (hit) return hit;
  if (Date.now() - cache.lastReload < RELOAD_MIN_INTERVAL_MS) return null;
  cache.lastReload = Date.now();
  for (const jwk of (await publishedKeys(env)) as JWK[]) {
    if (jwk.kid && !cache.verifiers.has(jwk.kid)) {
      cache.verifiers.set(jwk.kid, (await importJWK(jwk, JWT_ALG)) as CryptoKey);
    }
  }
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
  const publishUntil = new Date(now.getTime() + (cfg.jwt.accessTtlSeconds + cfg.jwt.leewaySeconds + 60) * 1000);
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
