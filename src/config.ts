// Every setting with its default and the reason for it. Settings come from Env (vars/secrets).
import type { Env } from "./env";

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface Config {
  environment: string;
  aiProvider: string;
  vectorStore: string;
  mailProvider: string;
  mailFrom: string;
  publicBaseUrl: string;
  corsOrigins: string[];
  jwt: { issuer: string; audience: string; accessTtlSeconds: number; refreshTtlDays: number; leewaySeconds: number };
  maxJsonBodyBytes: number;
  keyRotationMinIntervalSeconds: number;
  channels: {
    telegramApiBaseUrl: string;
    whatsappApiBaseUrl: string;
    sendMaxAttempts: number;
    telegram: { perSecond: number; chatIntervalMs: number };
    whatsapp: { perSecond: number; chatIntervalMs: number };
  };
  rateLimits: {
    enabled: boolean;
    perClient: Record<"auth" | "uploads" | "chat" | "search" | "default", RateRule>;
    perCreator: Record<"api" | "ai" | "uploads" | "exports", RateRule>;
  };
}

const cache = new WeakMap<Env, Config>();

export function config(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const minute = 60;
  const hour = 3600;
  const cfg: Config = {
    environment: env.ENVIRONMENT ?? "development",
    aiProvider: env.AI_PROVIDER ?? "local",
    vectorStore: env.VECTOR_STORE ?? "d1",
    mailProvider: env.MAIL_PROVIDER ?? "log",
    mailFrom: env.MAIL_FROM ?? "no-reply@edgecoach.local",
    publicBaseUrl: env.PUBLIC_BASE_URL ?? "http://localhost:8787",
    // "*" = any origin (the API is token-authenticated, not cookie-authenticated).
    corsOrigins: (env.CORS_ORIGINS ?? "*").split(",").map((s) => s.trim()).filter(Boolean),
    jwt: {
      // Names from the spec's "JWT Token Structure".
      issuer: env.JWT_ISSUER ?? "auth-service",
      audience: env.JWT_AUDIENCE ?? "coaching-platform",
      accessTtlSeconds: int(env.ACCESS_TOKEN_TTL_SECONDS, 15 * 60),
      refreshTtlDays: int(env.REFRESH_TOKEN_TTL_DAYS, 30),
      leewaySeconds: 30,
    },
    // 1 MiB for JSON bodies; uploads declare their own limit.
    maxJsonBodyBytes: int(env.MAX_JSON_BODY_BYTES, 1024 * 1024),
    // Signing keys are platform-wide: a cool-down keeps one tenant from churning the JWKS.
    keyRotationMinIntervalSeconds: int(env.KEY_ROTATION_MIN_INTERVAL_SECONDS, 60),
    channels: {
      // The real platforms by default; tests and proxies point these at a local server.
      telegramApiBaseUrl: (env.TELEGRAM_API_BASE_URL ?? "https://api.telegram.org").replace(/\/+$/, ""),
      // Graph API version pinned: the Cloud API's message and error formats are versioned.
      whatsappApiBaseUrl: (env.WHATSAPP_API_BASE_URL ?? "https://graph.facebook.com/v21.0").replace(/\/+$/, ""),
      // Transient failures (5xx, 429, network): this many attempts in all, then the message is `failed`.
      // Keep it <= the queue's max_retries + 1 (wrangler.toml: 5 + 1) so we record the failure before the DLQ.
      sendMaxAttempts: Math.max(1, int(env.CHANNEL_SEND_MAX_ATTEMPTS, 6)),
      // Telegram Bot FAQ: about 30 messages/s per bot, no more than one message per second per chat.
      telegram: { perSecond: Math.max(1, int(env.TELEGRAM_MESSAGES_PER_SECOND, 30)), chatIntervalMs: int(env.TELEGRAM_CHAT_INTERVAL_MS, 1000) },
      // Cloud API: 80 messages/s per business number by default; one per second per user keeps
      // split replies in order without tripping the per-user pair rate limit (131056).
      whatsapp: { perSecond: Math.max(1, int(env.WHATSAPP_MESSAGES_PER_SECOND, 80)), chatIntervalMs: int(env.WHATSAPP_CHAT_INTERVAL_MS, 1000) },
    },
    rateLimits: {
      enabled: (env.RATE_LIMITS_ENABLED ?? "true") !== "false",
      // coaching-platform-services.md "Rate Limiting": per client, per minute.
      perClient: {
        auth: { limit: int(env.RATE_LIMIT_AUTH_PER_MINUTE, 10), windowSeconds: minute },
        uploads: { limit: int(env.RATE_LIMIT_UPLOADS_PER_MINUTE, 5), windowSeconds: minute },
        chat: { limit: int(env.RATE_LIMIT_CHAT_PER_MINUTE, 100), windowSeconds: minute },
        search: { limit: int(env.RATE_LIMIT_SEARCH_PER_MINUTE, 50), windowSeconds: minute },
        default: { limit: int(env.RATE_LIMIT_DEFAULT_PER_MINUTE, 30), windowSeconds: minute },
      },
      // creator-hub-api.md "Rate Limits": per creator.
      perCreator: {
        api: { limit: int(env.CREATOR_API_CALLS_PER_HOUR, 1000), windowSeconds: hour },
        ai: { limit: int(env.CREATOR_AI_PER_HOUR, 100), windowSeconds: hour },
        uploads: { limit: int(env.CREATOR_UPLOADS_PER_HOUR, 50), windowSeconds: hour },
        exports: { limit: int(env.CREATOR_EXPORTS_PER_DAY, 10), windowSeconds: 24 * hour },
      },
    },
  };
  cache.set(env, cfg);
  return cfg;
}
