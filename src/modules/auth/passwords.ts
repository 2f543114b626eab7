// Password hashing (PBKDF2-SHA256 at the Workers maximum of 100,000 iterations) and strength rules.
import { base64url, fromBase64url } from "../../lib/encoding";
import { timingSafeEqual } from "../../lib/crypto";
import { COMMON_PASSWORDS } from "./common-passwords";

// workerd refuses PBKDF2 above 100,000 iterations; this is that ceiling.
const ITERATIONS = 100_000;
const encoder = new TextEncoder();

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/** Format: `pbkdf2_sha256$<iterations>$<salt>$<hash>` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, ITERATIONS);
  return `pbkdf2_sha256$${ITERATIONS}$${base64url(salt)}$${base64url(hash)}`;
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? "").split("$");
  if (parts.length !== 4 || parts[0] !== "pbkdf2_sha256") {
    // Same work as a real check, so timing does not reveal that an account does not exist.
    await derive(password, new Uint8Array(16), ITERATIONS);
    return false;
  }
  const iterations = Number(parts[1]);
  const hash = await derive(password, fromBase64url(parts[2]!), iterations);
  return timingSafeEqual(hash, fromBase64url(parts[3]!));
}

export interface PasswordReport {
  valid: boolean;
  score: number;
  reasons: string[];
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/** NIST 800-63B style: length and a blocklist, not composition rules. Score 0..4 for a meter. */
export function checkPassword(password: string, context: { email?: string; name?: string } = {}): PasswordReport {
  const reasons: string[] = [];
  const lower = password.toLowerCase();
  if (password.length < PASSWORD_MIN_LENGTH) reasons.push(`Password must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  if (password.length > PASSWORD_MAX_LENGTH) reasons.push(`Password must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  const stripped = lower.replace(/[^a-z0-9]/g, "");
  const base = stripped.replace(/\d+$/, "");
  if (COMMON_PASSWORDS.has(lower) || COMMON_PASSWORDS.has(stripped) || (base.length >= 4 && COMMON_PASSWORDS.has(base))) {
    reasons.push("Password is too common");
  }
  if (/^(.)\1+$/.test(password)) reasons.push("Password must not repeat a single character");
  if (isSequence(lower)) reasons.push("Password must not be a simple sequence");
  const local = context.email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) reasons.push("Password must not contain your email address");
  const name = context.name?.toLowerCase().replace(/\s+/g, "");
  if (name && name.length >= 4 && lower.replace(/\s+/g, "").includes(name)) reasons.push("Password must not contain your name");

  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  let score = 0;
  if (password.length >= PASSWORD_MIN_LENGTH) score++;
  if (password.length >= 14) score++;
  if (classes >= 3) score++;
  if (password.length >= 20 || (password.length >= 12 && classes === 4)) score++;
  if (reasons.length) score = Math.min(score, 1);
  return { valid: reasons.length === 0, score, reasons };
}

function isSequence(s: string): boolean {
  if (s.length < 6) return false;
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const keyboard = "qwertyuiopasdfghjklzxcvbnm1234567890";
  return alphabet.includes(s) || keyboard.includes(s) || [...alphabet].reverse().join("").includes(s);
}
