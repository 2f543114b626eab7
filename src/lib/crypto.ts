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

/** Encrypts text as `v1.<iv>.<ciphertext>` (base64url). */
export async function encryptText(secret: string | undefined, plaintext: string): Promise<string> {
  const key = await encryptionKey(secret);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(plaintext));
  return `v1.${base64url(iv)}.${base64url(new Uint8Array(ct))}`;
}

export async function decryptText(secret: string | undefined, sealed: string): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("Unknown ciphertext format");
  const key = await encryptionKey(secret);
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64url(iv) }, key, fromBase64url(ct));
  return new TextDecoder().decode(pt);
}
