// The one place where the Worker's bindings, vars and secrets are named.
import type { ConversationRpc } from "./realtime";
import type { ChannelPacer } from "../durable-objects/channel-pacer";
import type { MirrorWriter } from "../durable-objects/mirror-writer";
import type { RateLimiter } from "../durable-objects/rate-limiter";
import type { UsageMeter } from "../durable-objects/usage-meter";
import type { MetricsStore } from "../durable-objects/metrics-store";
import type { Inbox } from "../durable-objects/inbox";
import type { JobMessage } from "./jobs/types";

export interface Env {
  // Bindings
  DB: D1Database;
  FILES: R2Bucket;
  ASSETS?: Fetcher;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** One object per conversation, named by the conversation id. */
  CONVERSATION: DurableObjectNamespace<ConversationRpc>;
  /** One per creator: batches the D1 mirror writes of the creator's conversations. */
  MIRROR_WRITER: DurableObjectNamespace<MirrorWriter>;
  JOBS: Queue<JobMessage>;
  /** One per creator: the members' live inbox stream (conversation changes, notifications). */
  INBOX: DurableObjectNamespace<Inbox>;
  /** One per bot / WhatsApp number: paces outbound sends under the platform limits. */
  CHANNEL_PACER: DurableObjectNamespace<ChannelPacer>;
  /** One per creator: exact plan usage (issue 15). */
  USAGE: DurableObjectNamespace<UsageMeter>;
  /** Cloudflare Workflows: background tasks (src/modules/tasks/workflow.ts), run locally by miniflare. */
  TASKS: Workflow<import("./modules/tasks/service").TaskParams>;
  /** One, named "global": metric totals across isolates for GET /metrics (issue 15). */
  METRICS: DurableObjectNamespace<MetricsStore>;
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
  // Security (sec): login abuse, key rotation, erasure, denial of wallet
  RATE_LIMIT_AUTH_PER_ADDRESS_PER_MINUTE?: string;
  LOGIN_FAILURES_BEFORE_LOCK?: string;
  LOGIN_LOCK_SECONDS?: string;
  LOGIN_LOCK_MAX_SECONDS?: string;
  PASSWORD_RESET_MAILS_PER_HOUR?: string;
  JWT_KEY_ROTATION_DAYS?: string;
  KEY_CACHE_TTL_SECONDS?: string;
  KNOWLEDGE_MAX_PDF_PAGES?: string;
  WEBHOOK_MAX_BODY_BYTES?: string;
  SESSION_MAX_LIFETIME_DAYS?: string;
  WIDGET_SESSIONS_PER_ADDRESS_PER_HOUR?: string;
  AUDIENCE_AI_ANSWERS_PER_DAY?: string;
  KNOWLEDGE_MAX_DECOMPRESSED_BYTES?: string;
  KNOWLEDGE_MAX_COMPRESSION_RATIO?: string;
  KNOWLEDGE_MAX_CHUNKS_PER_DOCUMENT?: string;
  KNOWLEDGE_MIN_CHUNK_SIZE?: string;
  CREATOR_API_CALLS_PER_HOUR?: string;
  CREATOR_AI_PER_HOUR?: string;
  CREATOR_UPLOADS_PER_HOUR?: string;
  CREATOR_EXPORTS_PER_DAY?: string;
  MAX_JSON_BODY_BYTES?: string;
  // accounts (issue 15)
  PLAN_LIMITS_ENABLED?: string;
  /** "request" (default): every request's metric deltas are sent in its own waitUntil; "interval": at most every 2 s (loses up to 2 s on eviction; for the benchmark). */
  METRICS_FLUSH?: string;
  GOOGLE_CLIENT_ID?: string;
  /** Secret: the Google OAuth client's secret. */
  GOOGLE_CLIENT_SECRET?: string;
  GOOGLE_OIDC_DISCOVERY_URL?: string;
  REGISTRATION_ALLOWLIST?: string;
  /** Secret: the platform operator's credential (`Authorization: Bearer <key>` on operator routes). Unset = operator routes answer 403. */
  OPERATOR_API_KEY?: string;
  JOB_CONCURRENCY?: string;
  KEY_ROTATION_MIN_INTERVAL_SECONDS?: string;
  WIDGET_TOKEN_TTL_SECONDS?: string;
  OUTBOX_RETRY_SECONDS?: string;
  TELEGRAM_API_BASE_URL?: string;
  WHATSAPP_API_BASE_URL?: string;
  CHANNEL_SEND_MAX_ATTEMPTS?: string;
  TELEGRAM_MESSAGES_PER_SECOND?: string;
  TELEGRAM_CHAT_INTERVAL_MS?: string;
  WHATSAPP_MESSAGES_PER_SECOND?: string;
  WHATSAPP_CHAT_INTERVAL_MS?: string;
  /** Email channel (issue 14): the inbound domain routed to this Worker, and the raw message size cap. */
  EMAIL_INBOUND_DOMAIN?: string;
  EMAIL_MAX_RAW_BYTES?: string;
  PROGRAM_MAX_STEPS_PER_JOB?: string;
  PROGRAM_LEASE_SECONDS?: string;
  PROGRAM_DISPATCH_CHUNK?: string;
  PROACTIVE_QUIET_HOURS?: string;
  PROACTIVE_DAILY_CAP?: string;
  PROACTIVE_CATCH_UP_MINUTES?: string;
  PROACTIVE_DISPATCH_CHUNK?: string;
  // Files in conversations (src/config.ts "files")
  CONVERSATION_FILE_MAX_BYTES?: string;
  CONVERSATION_FILES_PER_UPLOAD?: string;
  CONVERSATION_UPLOAD_MAX_BYTES?: string;
  CONVERSATION_FILE_TYPES?: string;
  // Knowledge and AI (src/config.ts "knowledge" and "ai")
  KNOWLEDGE_MAX_FILE_BYTES?: string;
  KNOWLEDGE_MAX_BATCH_FILES?: string;
  KNOWLEDGE_MAX_BATCH_BYTES?: string;
  INGEST_MAX_ATTEMPTS?: string;
  EMBEDDING_BATCH_SIZE?: string;
  SEARCH_MAX_LIMIT?: string;
  SEARCH_CACHE_TTL_SECONDS?: string;
  VECTOR_SCAN_PAGE_SIZE?: string;
  LOCAL_EMBEDDING_DIMENSIONS?: string;
  RETRIEVAL_MIN_SIMILARITY?: string;
  ANSWER_MIN_EVIDENCE?: string;
  ANSWER_QUERY_EXPANSION?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_CHAT_MODEL?: string;
  OPENAI_EMBEDDING_MODEL?: string;
  WORKERS_AI_CHAT_MODEL?: string;
  WORKERS_AI_EMBEDDING_MODEL?: string;
  // Several providers, audio and vision (src/ai/providers/registry.ts, src/ai/audio.ts)
  AI_PROVIDERS?: string;
  AI_AUDIO_MAX_BYTES?: string;
  AI_IMAGE_MAX_BYTES?: string;
  OPENAI_TRANSCRIPTION_MODEL?: string;
  OPENAI_SPEECH_MODEL?: string;
  OPENAI_SPEECH_VOICE?: string;
  OPENAI_VISION_MODEL?: string;
  OPENAI_AUDIO?: string;
  WORKERS_AI_TRANSCRIPTION_MODEL?: string;
  WORKERS_AI_SPEECH_MODEL?: string;
  WORKERS_AI_VISION_MODEL?: string;
  ANTHROPIC_BASE_URL?: string;
  ANTHROPIC_CHAT_MODEL?: string;
  ANTHROPIC_VERSION?: string;
  ANTHROPIC_MODELS?: string;
  OUTBOX_DELAY_MS?: string;
  CONVERSATION_IDLE_COMPLETE_HOURS?: string;
  CONVERSATION_IDLE_COMPLETE_PER_TICK?: string;
  TYPING_FRAMES_PER_MINUTE?: string;
  RESUME_FRAMES_PER_MINUTE?: string;
  WIDGET_TICKET_TTL_SECONDS?: string;

  // Analytics, outgoing webhooks, notifications (src/config.ts "webhooks", "notifications")
  WEBHOOKS_ALLOW_PRIVATE_URLS?: string;
  WEBHOOK_TIMEOUT_MS?: string;
  WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT?: string;
  WEBHOOK_DISABLE_AFTER_HOURS?: string;
  HANDOVER_EMAIL_WHEN_NO_AGENT_ONLINE?: string;
  ANALYTICS_EXPORTS_PER_DAY?: string;
  ANALYTICS_EXPORT_LINK_TTL_SECONDS?: string;
  KNOWLEDGE_GAP_SIMILARITY?: string;

  // Secrets
  /** Wraps signing keys and channel secrets at rest (AES-GCM). */
  ENCRYPTION_KEY?: string;
  /** Bearer key of the OpenAI-compatible server (AI_PROVIDER=openai); optional for Ollama. */
  OPENAI_API_KEY?: string;
  /** x-api-key of Anthropic's Messages API (AI_PROVIDERS includes anthropic). */
  ANTHROPIC_API_KEY?: string;
}

export type AppBindings = { Bindings: Env; Variables: AppVariables };

export interface AppVariables {
  requestId: string;
  /** Set by the auth middleware from the verified token: the tenant. */
  creatorId?: string;
  auth?: import("./modules/auth/tokens").AccessClaims;
  /** The member and creator rows read while verifying the token (same request, so current). */
  account?: import("./modules/auth/login-sessions").AuthenticatedAccount;
  logFields?: Record<string, unknown>;
}
