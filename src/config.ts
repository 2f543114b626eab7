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
  programs: { maxStepsPerJob: number; leaseSeconds: number; dispatchChunk: number };
  proactive: {
    quietHours: { start: string; end: string };
    dailyCap: number;
    catchUpMinutes: number;
    whatsappWindowHours: number;
    responseWindowHours: number;
    dispatchChunk: number;
    sendsPerJob: number;
  };
  rateLimits: {
    enabled: boolean;
    perClient: Record<"auth" | "uploads" | "chat" | "search" | "default", RateRule>;
    perCreator: Record<"api" | "ai" | "uploads" | "exports", RateRule>;
  };
}

function parseQuietHours(value: string | undefined): { start: string; end: string } | null {
  const m = /^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(value ?? "");
  return m ? { start: `${m[1]}:${m[2]}`, end: `${m[3]}:${m[4]}` } : null;
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
    programs: {
      // A job runs consecutive immediate steps (message → tag → wait) up to this many; a cycle
      // without a wait can't spin forever because publish rejects it, this is the backstop.
      maxStepsPerJob: int(env.PROGRAM_MAX_STEPS_PER_JOB, 25),
      // A tick hands a due enrolment to the queue and leases it this long, so overlapping ticks
      // don't dispatch it twice; a lost job is re-dispatched once the lease runs out.
      leaseSeconds: int(env.PROGRAM_LEASE_SECONDS, 300),
      dispatchChunk: int(env.PROGRAM_DISPATCH_CHUNK, 500),
    },
    proactive: {
      // The issue's defaults: no proactive message 21:00–08:00 local, at most 2 a day per user.
      quietHours: parseQuietHours(env.PROACTIVE_QUIET_HOURS) ?? { start: "21:00", end: "08:00" },
      dailyCap: int(env.PROACTIVE_DAILY_CAP, 2),
      // A missed tick (deploy, outage) still fires scheduled rules and events up to this late.
      catchUpMinutes: int(env.PROACTIVE_CATCH_UP_MINUTES, 60),
      // WhatsApp Cloud API: free-form messages only within 24 h of the user's last message.
      whatsappWindowHours: 24,
      // A proactive message counts as a success when the user replies within 24 h (the issue).
      responseWindowHours: 24,
      // Rows per INSERT … SELECT / claim statement: bounds the Worker's memory per tick.
      dispatchChunk: int(env.PROACTIVE_DISPATCH_CHUNK, 1000),
      // Sends per queue message (Queues allow 100 messages per sendBatch, 128 KB each).
      sendsPerJob: 50,
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
