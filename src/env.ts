// The one place where the Worker's bindings, vars and secrets are named.
import type { Conversation } from "../durable-objects/conversation";
import type { MirrorWriter } from "../durable-objects/mirror-writer";
import type { RateLimiter } from "../durable-objects/rate-limiter";
import type { JobMessage } from "./jobs/types";

export interface Env {
  // Bindings
  DB: D1Database;
  FILES: R2Bucket;
  ASSETS?: Fetcher;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** One object per conversation, named by the conversation id. */
  CONVERSATION: DurableObjectNamespace<Conversation>;
  /** One per creator: batches the D1 mirror writes of the creator's conversations. */
  MIRROR_WRITER: DurableObjectNamespace<MirrorWriter>;
  JOBS: Queue<JobMessage>;
  /** Production only (wrangler.toml [env.production]). */
  AI?: Ai;
  /** Production only (wrangler.toml [env.production]). */
  VECTORIZE?: VectorizeIndex;
  /** Production only: Cloudflare Email Routing `send_email` binding. */
  MAILER?: SendEmail;

  // Vars (see src/config.ts for every setting, its default and its reason)
  ENVIRONMENT?: string;
  AI_PROVIDER?: string;
  VECTOR_STORE?: string;
  MAIL_PROVIDER?: string;
  MAIL_FROM?: string;
  PUBLIC_BASE_URL?: string;
  CORS_ORIGINS?: string;
  LOG_LEVEL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  REFRESH_TOKEN_TTL_DAYS?: string;
  RATE_LIMITS_ENABLED?: string;
  RATE_LIMIT_AUTH_PER_MINUTE?: string;
  RATE_LIMIT_UPLOADS_PER_MINUTE?: string;
  RATE_LIMIT_CHAT_PER_MINUTE?: string;
  RATE_LIMIT_SEARCH_PER_MINUTE?: string;
  RATE_LIMIT_DEFAULT_PER_MINUTE?: string;
  CREATOR_API_CALLS_PER_HOUR?: string;
  CREATOR_AI_PER_HOUR?: string;
  CREATOR_UPLOADS_PER_HOUR?: string;
  CREATOR_EXPORTS_PER_DAY?: string;
  MAX_JSON_BODY_BYTES?: string;
  KEY_ROTATION_MIN_INTERVAL_SECONDS?: string;
  WIDGET_TOKEN_TTL_SECONDS?: string;
  OUTBOX_RETRY_SECONDS?: string;
  OUTBOX_DELAY_MS?: string;

  // Secrets
  /** Wraps signing keys and channel secrets at rest (AES-GCM). */
  ENCRYPTION_KEY?: string;
}

export type AppBindings = { Bindings: Env; Variables: AppVariables };

export interface AppVariables {
  requestId: string;
  /** Set by the auth middleware from the verified token: the tenant. */
  creatorId?: string;
  auth?: import("./modules/auth/tokens").AccessClaims;
  logFields?: Record<string, unknown>;
}
