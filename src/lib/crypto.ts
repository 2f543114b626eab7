// Hashing, constant-time comparison and AES-GCM encryption at rest (key derived from ENCRYPTION_KEY).
import { AppError } from "./errors";
import { base64url, fromBase64url, hex } from "./encoding";

const encoder = new TextEncoder();

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function encryptionKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret || secret.length < 32) {
    // Fails closed: without a proper secret nothing can be encrypted or decrypted.
    throw new AppError("SERVICE_UNAVAILABLE", "Encryption key is not configured");
  }
  let key = keyCache.get(secret);
  if (!key) {
    key = (async () => {
      const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: encoder.encode("edgecoach-at-rest-v1"), info: new Uint8Array() },
        material,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keyCache.set(secret, key);
  }
  return key;
}

/**
 * ENCRYPTION_KEY holds one secret, or several separated by commas for a rotation: the first
 * encrypts, every one of them decrypts. Each value names its key (`v2.<key id>.…`), so values
 * written under an older key keep decrypting until they are rewritten, and the key id says which.
 */
function keyring(secret: string | undefined): string[] {
  return (secret ?? "").split(",").map((k) => k.trim()).filter(Boolean);
}

/** A short, non-secret name of a key: 8 hex characters of SHA-256 over a domain-separated input. */
async function keyId(secret: string): Promise<string> {
  return (await sha256Hex(`edgecoach-key-id:${secret}`)).slice(0, 8);
}

/** Encrypts text as `v2.<key id>.<iv>.<ciphertext>` (base64url). */
export async function encryptText(secret: string | undefined, plaintext: string): Promise<string> {
  const current = keyring(secret)[0];
  const key = await encryptionKey(current);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(plaintext));
  return `v2.${await keyId(current!)}.${base64url(iv)}.${base64url(new Uint8Array(ct))}`;
}

/** The id of the key a sealed value was written with (null for v1 values, which carry none). */
export function sealedKeyId(sealed: string): string | null {
  const [version, kid] = sealed.split(".");
  return version === "v2" ? (kid ?? null) : null;
}

export async function decryptText(secret: string | undefined, sealed: string): Promise<string> {
  const parts = sealed.split(".");
  const ring = keyring(secret);
  let candidates: string[];
  let iv: string | undefined;
  let ct: string | undefined;
  if (parts[0] === "v2" && parts.length === 4) {
    [, , iv, ct] = parts;
    const ids = await Promise.all(ring.map(keyId));
    candidates = ring.filter((_, i) => ids[i] === parts[1]);
    if (!candidates.length) throw new AppError("SERVICE_UNAVAILABLE", `Encryption key ${parts[1]} is not configured`);
  } else if (parts[0] === "v1" && parts.length === 3) {
    // Written before values named their key: try each configured key.
    [, iv, ct] = parts;
    candidates = ring.length ? ring : [""];
  } else throw new Error("Unknown ciphertext format");
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const key = await encryptionKey(candidate);
      const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64url(iv!) }, key, fromBase64url(ct!));
      return new TextDecoder().decode(pt);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
