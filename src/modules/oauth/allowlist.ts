// Who may register (ai-chat-app-api.md "user whitelist"): exact addresses and whole domains.
import type { Env } from "../../env";
import { config } from "../../config";
import { forbidden } from "../../lib/errors";

/** Entries are "ana@example.com", "@example.com" or "example.com"; an empty list lets everyone in. */
export function registrationAllowed(env: Env, email: string): boolean {
  const list = config(env).oauth.registrationAllowlist;
  if (!list.length) return true;
  const address = email.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf("@") + 1);
  return list.some((entry) => (entry.includes("@") && !entry.startsWith("@") ? entry === address : entry.replace(/^@/, "") === domain));
}

export function assertRegistrationAllowed(env: Env, email: string): void {
  if (!registrationAllowed(env, email)) throw forbidden("Registration is restricted to invited addresses on this platform");
}
