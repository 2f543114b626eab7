// Identifiers: UUIDv4 for rows, URL-safe random strings for secrets handed to clients.
import { base64url } from "./encoding";

export const newId = (): string => crypto.randomUUID();

/** 256 bits of randomness, URL-safe: refresh tokens, reset tokens, invitation tokens. */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}
