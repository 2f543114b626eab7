// Which requests fall under which rate-limit category, and which paths take non-JSON bodies.
// A module adds its lines here when it adds routes of a limited kind (uploads, chat, search).
import type { RateLimitRule } from "./middleware/rate-limit";

const UNLIMITED = /^\/(health|ready|docs|openapi\.json|\.well-known\/)/;
// Brute-forceable: guessing passwords, tokens or accounts.
// Platform webhooks (Telegram, WhatsApp): verified by their own secrets, not by the creator's token,
// and never counted against the creator's API quota. The platforms pace themselves.
export const CHANNEL_WEBHOOK = /^\/(api\/v1\/channels\/(telegram|whatsapp)\/webhook|webhooks\/(telegram|whatsapp)\/[^/]+)$/;
const AUTH = /^\/api\/v1\/auth\/(register|login|refresh|password\/|invitations\/accept)/;

const CHAT = /^\/api\/v1\/(channels\/sessions|channels\/widget\/[^/]+\/connect$|conversations\/[^/]+\/connect$)/;
const UPLOAD = /^\/api\/v1\/(knowledge-bases\/[^/]+\/documents(\/batch)?|creators\/knowledge\/upload)$/;
const SEARCH = /^\/api\/(v1\/creators\/knowledge\/search|v1\/ai\/documents\/search|memory\/knowledge\/search)$/;

export const RATE_LIMIT_RULES: RateLimitRule[] = [
  { match: (_m, p) => UNLIMITED.test(p) || !p.startsWith("/api/") || CHANNEL_WEBHOOK.test(p), category: "none" },
  { match: (_m, p) => AUTH.test(p), category: "auth" },
  { match: (_m, p) => p === "/api/v1/auth/gdpr/data-export", category: "default", quotas: ["exports"] },
  // The widget's public session endpoint and WebSocket connects: chat traffic of the creator's audience.
  { match: (_m, p) => CHAT.test(p), category: "chat" },
  // Knowledge uploads (multipart) count against the per-minute upload limit and the hourly upload quota.
  { match: (m, p) => m === "POST" && UPLOAD.test(p), category: "uploads", quotas: ["uploads"] },
  { match: (m, p) => SEARCH.test(p) && (m === "GET" || m === "POST"), category: "search" },
  { match: (m, p) => m === "POST" && p === "/api/v1/ai/conversations", category: "chat", quotas: ["ai"] },
  { match: () => true, category: "default" },
];

/** Paths whose bodies are not JSON (multipart uploads, signed webhook bytes): they validate their own. */
export function rawBodyPath(path: string): boolean {
  return CHANNEL_WEBHOOK.test(path) || UPLOAD.test(path);
}
