// Every setting with its default and the reason for it. Settings come from Env (vars/secrets).
import type { Env } from "./env";

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

function num(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
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
  knowledge: {
    maxFileBytes: number;
    ingestMaxAttempts: number;
    embeddingBatchSize: number;
    searchMaxLimit: number;
    searchCacheTtlSeconds: number;
    vectorScanPageSize: number;
    minSimilarity: number;
  };
  ai: {
    localEmbeddingDimensions: number;
    openai: { baseUrl: string; apiKey?: string; chatModel: string; embeddingModel: string };
    workersAi: { chatModel: string; embeddingModel: string };
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
    knowledge: {
      // Issue 3: 25 MB per uploaded file.
      maxFileBytes: int(env.KNOWLEDGE_MAX_FILE_BYTES, 25 * 1024 * 1024),
      // A document whose ingestion fails this many deliveries is marked failed (wrangler max_retries = 5).
      ingestMaxAttempts: Math.max(1, int(env.INGEST_MAX_ATTEMPTS, 5)),
      // Workers AI embeds up to 100 texts per call; 32 keeps one D1 batch small.
      embeddingBatchSize: Math.max(1, int(env.EMBEDDING_BATCH_SIZE, 32)),
      // Issue 3: search `limit` <= 50. The benchmark raises it to 100 for Recall@100.
      searchMaxLimit: Math.max(1, int(env.SEARCH_MAX_LIMIT, 50)),
      // Entries are also invalidated by the knowledge base's revision, so the TTL only bounds staleness of nothing.
      searchCacheTtlSeconds: int(env.SEARCH_CACHE_TTL_SECONDS, 300),
      // Sketch rows per page when the D1 vector store scans (2048 dims = 256 B a sketch: ~0.5 MB a page).
      vectorScanPageSize: Math.max(16, int(env.VECTOR_SCAN_PAGE_SIZE, 2000)),
      // Cosine below which a vector-only hit doesn't count as relevant (then the fallback answer is given).
      minSimilarity: num(env.RETRIEVAL_MIN_SIMILARITY, 0.3),
    },
    ai: {
      // Hashed n-gram features need room to avoid collisions: on SciFact 384 dims give vector-only
      // nDCG@10 0.47, 2048 give 0.62 (bench/README.md); stored int8, 2 KB a chunk.
      localEmbeddingDimensions: Math.max(32, int(env.LOCAL_EMBEDDING_DIMENSIONS, 2048)),
      openai: {
        // Ollama's OpenAI-compatible endpoint by default (the spec's AI engine runs on Ollama).
        baseUrl: (env.OPENAI_BASE_URL ?? "http://127.0.0.1:11434/v1").replace(/\/+$/, ""),
        apiKey: env.OPENAI_API_KEY,
        chatModel: env.OPENAI_CHAT_MODEL ?? "llama3.1:8b",
        embeddingModel: env.OPENAI_EMBEDDING_MODEL ?? "nomic-embed-text",
      },
      workersAi: {
        chatModel: env.WORKERS_AI_CHAT_MODEL ?? "@cf/meta/llama-3.1-8b-instruct",
        embeddingModel: env.WORKERS_AI_EMBEDDING_MODEL ?? "@cf/baai/bge-base-en-v1.5",
      },
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
