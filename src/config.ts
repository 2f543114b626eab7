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
  realtime: { widgetTokenTtlSeconds: number; outboxRetrySeconds: number; outboxDelayMs: number };
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
    realtime: {
      // Widget tokens sit in the visitor's browser storage: short-lived, and the widget silently gets
      // a new one from its session when a connect is refused.
      widgetTokenTtlSeconds: int(env.WIDGET_TOKEN_TTL_SECONDS, 30 * 60),
      // First retry of the D1 outbox after a failed flush; doubles per failure up to 5 minutes.
      outboxRetrySeconds: int(env.OUTBOX_RETRY_SECONDS, 2),
      // Messages reach the D1 mirror this long after they are acked, so a busy conversation's messages
      // share one write (and the creator's MirrorWriter batches many conversations into one D1
      // transaction; bench/README.md). Listings lag the live chat by about this much.
      outboxDelayMs: int(env.OUTBOX_DELAY_MS, 100),
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
