// A visitor's identity is bound to a server-issued secret: visitor_secret = HMAC(ENCRYPTION_KEY,
// creator id + visitor id). A client that names another visitor's id without their secret gets a new
// visitor instead — no table needed, and every key of an ENCRYPTION_KEY rotation still verifies.
import type { Env } from "../../env";
import { timingSafeEqual } from "../../lib/crypto";

const encoder = new TextEncoder();

function ring(env: Env): string[] {
  return (env.ENCRYPTION_KEY ?? "").split(",").map((k) => k.trim()).filter(Boolean);
}

async function mac(key: string, creatorId: string, visitorId: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", encoder.encode(`edgecoach-visitor:${key}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(`${creatorId}:${visitorId}`)));
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export async function visitorSecret(env: Env, creatorId: string, visitorId: string): Promise<string> {
  return b64url(await mac(ring(env)[0] ?? "", creatorId, visitorId));
}

export async function visitorSecretValid(env: Env, creatorId: string, visitorId: string, secret: string | undefined): Promise<boolean> {
  if (!secret) return false;
  const given = encoder.encode(secret);
  for (const key of ring(env).length ? ring(env) : [""]) {
    if (timingSafeEqual(given, encoder.encode(b64url(await mac(key, creatorId, visitorId))))) return true;
  }
  return false;
}
