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
  jwt: { issuer: string; audience: string; accessTtlSeconds: number; refreshTtlDays: number; leewaySeconds: number; sessionMaxLifetimeDays: number };
  maxJsonBodyBytes: number;
  webhookMaxBodyBytes: number;
  keyRotationMinIntervalSeconds: number;
  keys: { rotationDays: number; cacheTtlSeconds: number };
  /** Messages of one JOBS batch processed at the same time. */
  jobConcurrency: number;
  realtime: {
    widgetTokenTtlSeconds: number;
    outboxRetrySeconds: number;
    outboxDelayMs: number;
    idleCompleteHours: number;
    idleCompletePerTick: number;
    typingFramesPerMinute: number;
    resumeFramesPerMinute: number;
    widgetTicketTtlSeconds: number;
  };
  channels: {
    telegramApiBaseUrl: string;
    whatsappApiBaseUrl: string;
    sendMaxAttempts: number;
    telegram: { perSecond: number; chatIntervalMs: number };
    whatsapp: { perSecond: number; chatIntervalMs: number };
    email: { inboundDomain: string; maxRawBytes: number };
  };
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
  /** Files in conversations (issue 14, src/modules/files). */
  files: { maxFileBytes: number; maxUploadBytes: number; maxFilesPerUpload: number; allowedTypes: string[] };
  knowledge: {
    maxFileBytes: number;
    maxBatchFiles: number;
    maxBatchBytes: number;
    ingestMaxAttempts: number;
    embeddingBatchSize: number;
    searchMaxLimit: number;
    searchCacheTtlSeconds: number;
    vectorScanPageSize: number;
    minSimilarity: number;
    minEvidence: number;
    queryExpansion: boolean;
    /** Bounds on one document's work (upload bombs, denial of wallet). */
    limits: { maxPdfPages: number; maxDecompressedBytes: number; maxCompressionRatio: number; maxChunksPerDocument: number; minChunkSize: number };
  };
  ai: {
    localEmbeddingDimensions: number;
    openai: { baseUrl: string; apiKey?: string; chatModel: string; embeddingModel: string } & OpenAiExtra;
    workersAi: { chatModel: string; embeddingModel: string } & WorkersAiExtra;
    /** The providers enabled at once (src/ai/providers/registry.ts); the default chat provider is aiProvider. */
    providers: string[];
    anthropic: { baseUrl: string; apiKey?: string; chatModel: string; version: string; models: string[] };
    /** Largest audio accepted for transcription. */
    audioMaxBytes: number;
    /** Largest image accepted into a prompt. */
    imageMaxBytes: number;
  };
  oauth: {
    google: { clientId?: string; clientSecret?: string; discoveryUrl: string };
    /** Who may register (any sign-in method): addresses and `@domain`s; empty = everybody. */
    registrationAllowlist: string[];
  };
  /** Plan limits (PLAN_LIMITS above); off, nothing is metered (benchmarks). */
  plans: { enabled: boolean; audienceAiAnswersPerDay: number | null };
  /** How the isolate's metric deltas reach the MetricsStore (src/modules/metrics/flush.ts). */
  metricsFlush: "request" | "interval";
  webhooks: { allowPrivateUrls: boolean; timeoutMs: number; maxConcurrencyPerEndpoint: number; disableAfterHours: number };
  notifications: { emailHandoverWhenNoAgentOnline: boolean };
  analyticsExports: { perDay: number; linkTtlSeconds: number };
  analytics: { knowledgeGapSimilarity: number };
  rateLimits: {
    enabled: boolean;
    perClient: Record<"auth" | "uploads" | "chat" | "search" | "default", RateRule>;
    perCreator: Record<"api" | "ai" | "uploads" | "exports", RateRule>;
    /** Anonymous auth requests of one address (IPv6: its /64) across every email. */
    authPerAddress: RateRule;
    /** Widget sessions one address (IPv6: its /64) opens per hour. */
    widgetSessionsPerAddress: RateRule;
  };
  /** Credential-stuffing defences (src/modules/auth/abuse.ts). */
  login: {
    lock: { threshold: number; windowSeconds: number; baseLockSeconds: number; maxLockSeconds: number };
    resetMails: RateRule;
  };
}

function parseQuietHours(value: string | undefined): { start: string; end: string } | null {
  const m = /^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(value ?? "");
  return m ? { start: `${m[1]}:${m[2]}`, end: `${m[3]}:${m[4]}` } : null;
}

// ---- Plans (issue 15): the one table of tier limits. null = unlimited. Per creator, the operator can
// override any number (PUT /api/v1/operator/creators/{id}/plan). Counters reset per UTC day and month;
// gauges (storage, knowledge bases, team members) are the current amount.
export const TIERS = ["free", "pro", "enterprise"] as const;
export type Tier = (typeof TIERS)[number];
export const COUNTED_LIMITS = ["ai_messages", "ai_calls", "uploads", "tasks", "api_calls"] as const;
export type CountedLimit = (typeof COUNTED_LIMITS)[number];
export const GAUGE_LIMITS = ["storage_bytes", "knowledge_bases", "team_members"] as const;
export type GaugeLimit = (typeof GAUGE_LIMITS)[number];
export type PlanLimits = Record<CountedLimit, { day: number | null; month: number | null }> & Record<GaugeLimit, number | null>;

const MB = 1024 * 1024;
/**
 * Free is enough to try the product with a small audience; pro covers a full-time coach (~1,000 AI
 * answers a day); enterprise is unmetered except for the costliest work (AI calls and tasks). Day
 * limits stop one runaway integration from spending the month in an afternoon. The numbers follow
 * the unified chatbot spec's tiers and coaching-platform-services.md ("free / pro / enterprise").
 */
export const PLAN_LIMITS: Record<Tier, PlanLimits> = {
  free: {
    ai_messages: { day: 100, month: 1_000 },
    ai_calls: { day: 200, month: 2_000 },
    uploads: { day: 20, month: 100 },
    tasks: { day: 3, month: 20 },
    api_calls: { day: 5_000, month: 50_000 },
    storage_bytes: 100 * MB,
    // A small team (owner + a few agents) with a few knowledge bases can try everything.
    knowledge_bases: 5,
    team_members: 5,
  },
  pro: {
    ai_messages: { day: 2_000, month: 30_000 },
    ai_calls: { day: 5_000, month: 60_000 },
    uploads: { day: 500, month: 5_000 },
    tasks: { day: 50, month: 500 },
    api_calls: { day: 100_000, month: 1_000_000 },
    storage_bytes: 10_000 * MB,
    knowledge_bases: 50,
    team_members: 10,
  },
  enterprise: {
    ai_messages: { day: null, month: null },
    ai_calls: { day: 100_000, month: null },
    uploads: { day: null, month: null },
    tasks: { day: 1_000, month: null },
    api_calls: { day: null, month: null },
    storage_bytes: null,
    knowledge_bases: null,
    team_members: null,
  },
};

const cache = new WeakMap<Env, Config>();

type OpenAiExtra = { transcriptionModel: string; speechModel: string; speechVoice: string; visionModel?: string; audio: boolean };
type WorkersAiExtra = { transcriptionModel: string; speechModel: string; visionModel: string };

/** AI_PROVIDERS="workers-ai,anthropic" enables several at once; AI_PROVIDER (the default chat provider) is always in. */
function providerList(env: Env): string[] {
  const main = env.AI_PROVIDER ?? "local";
  const listed = (env.AI_PROVIDERS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return [...new Set([main, ...listed])];
}

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
      // OWASP session management: an absolute timeout besides the idle one; 90 days = a quarter.
      sessionMaxLifetimeDays: Math.max(1, int(env.SESSION_MAX_LIFETIME_DAYS, 90)),
      leewaySeconds: 30,
    },
    // 1 MiB for JSON bodies; uploads declare their own limit.
    maxJsonBodyBytes: int(env.MAX_JSON_BODY_BYTES, 1024 * 1024),
    // Platform webhook bodies are read before they are verified: Telegram updates and WhatsApp
    // notifications are a few KB (a batch of 100 WhatsApp statuses ~60 KB); 256 KiB is ample.
    webhookMaxBodyBytes: int(env.WEBHOOK_MAX_BODY_BYTES, 256 * 1024),
    // Signing keys are platform-wide: a cool-down keeps one tenant from churning the JWKS.
    keyRotationMinIntervalSeconds: int(env.KEY_ROTATION_MIN_INTERVAL_SECONDS, 60),
    keys: {
      // NIST SP 800-57 leaves the cryptoperiod to policy; a month bounds what one leaked key signs.
      rotationDays: int(env.JWT_KEY_ROTATION_DAYS, 30),
      // How long an isolate trusts its copy of the key set: a rotation reaches every isolate this fast.
      cacheTtlSeconds: int(env.KEY_CACHE_TTL_SECONDS, 30),
    },
    // A batch's messages are independent and mostly wait on I/O: all 50 at once by default. Under
    // `wrangler dev` the consumer shares one process with the Worker, so a lower value keeps webhook
    // answers quick while a batch is being worked through (bench/README.md, channel webhook ingest).
    jobConcurrency: Math.max(1, Math.min(50, int(env.JOB_CONCURRENCY, 50))),
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
      // An active conversation with no message for this long is marked completed by the cron tick
      // (a support desk's "auto-resolve"); the visitor's next message reopens it. 0 turns it off.
      idleCompleteHours: Math.max(0, int(env.CONVERSATION_IDLE_COMPLETE_HOURS, 24)),
      // Each one is a call into the conversation's object: bounded per tick, the next tick goes on.
      idleCompletePerTick: Math.max(1, int(env.CONVERSATION_IDLE_COMPLETE_PER_TICK, 200)),
      // Per socket: a typing indicator every second is more than any keyboard needs (the widget sends
      // one on start and one on stop); a resume replays up to 500 messages, and a tab resumes once per
      // reconnect. Beyond these the frame is refused with RATE_LIMIT_EXCEEDED.
      typingFramesPerMinute: Math.max(1, int(env.TYPING_FRAMES_PER_MINUTE, 60)),
      resumeFramesPerMinute: Math.max(1, int(env.RESUME_FRAMES_PER_MINUTE, 10)),
      // A widget socket ticket is used within a second of being issued (POST, then the WS connect):
      // short enough that one lifted from a log or a proxy is useless, long enough for a slow network.
      widgetTicketTtlSeconds: Math.max(5, int(env.WIDGET_TICKET_TTL_SECONDS, 30)),
    },
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
      email: {
        // The domain whose Email Routing rule points at this Worker: channel addresses are
        // <local part>@<domain>, and our own Message-IDs end with it (how our mail is recognised).
        inboundDomain: (env.EMAIL_INBOUND_DOMAIN ?? "mail.edgecoach.localhost").trim().toLowerCase(),
        // Email Routing takes messages up to 25 MiB; 10 MiB keeps one parse well inside a Worker's memory.
        maxRawBytes: Math.max(1024, int(env.EMAIL_MAX_RAW_BYTES, 10 * 1024 * 1024)),
      },
    },
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
    files: {
      // Telegram's Bot API hands bots files of at most 20 MB and WhatsApp media are at most 16 MB
      // (documents 100 MB): 20 MB takes every chat photo, voice note and short video.
      maxFileBytes: int(env.CONVERSATION_FILE_MAX_BYTES, 20 * 1024 * 1024),
      // The spec's upload takes several `files`; ten is a photo series, and bounds one request's memory.
      maxFilesPerUpload: Math.max(1, Math.min(50, int(env.CONVERSATION_FILES_PER_UPLOAD, 10))),
      // One request's whole multipart body: it is in memory while parsed and stored (a Worker has 128 MB).
      maxUploadBytes: int(env.CONVERSATION_UPLOAD_MAX_BYTES, 40 * 1024 * 1024),
      // What people send in a chat: photos, voice notes and audio, short videos, PDFs and office
      // documents, plain text. Active content (HTML, SVG, scripts) is refused whatever this says.
      allowedTypes: (
        env.CONVERSATION_FILE_TYPES ??
        "image/jpeg,image/png,image/gif,image/webp,image/heic,audio/*,video/mp4,video/webm,video/quicktime,video/ogg,application/pdf,text/plain,text/csv,text/markdown,application/json,application/zip," +
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.openxmlformats-officedocument.presentationml.presentation"
      )
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    },
    knowledge: {
      // Issue 3: 25 MB per uploaded file.
      maxFileBytes: int(env.KNOWLEDGE_MAX_FILE_BYTES, 25 * 1024 * 1024),
      // Files per multi-file upload: one queue sendBatch holds at most 100 messages.
      maxBatchFiles: Math.max(1, Math.min(100, int(env.KNOWLEDGE_MAX_BATCH_FILES, 100))),
      // Bytes per multi-file upload: the whole form is in memory while it is stored (a Worker has 128 MB).
      maxBatchBytes: int(env.KNOWLEDGE_MAX_BATCH_BYTES, 32 * 1024 * 1024),
      // A document whose ingestion fails this many deliveries is marked failed (wrangler max_retries = 5).
      ingestMaxAttempts: Math.max(1, int(env.INGEST_MAX_ATTEMPTS, 5)),
      // Workers AI embeds up to 100 texts per call; 32 keeps one D1 batch small.
      embeddingBatchSize: Math.max(1, int(env.EMBEDDING_BATCH_SIZE, 32)),
      // Issue 3: search `limit` <= 50. The benchmark raises it to 100 for Recall@100.
      searchMaxLimit: Math.max(1, int(env.SEARCH_MAX_LIMIT, 50)),
      // Entries are also invalidated by the knowledge base's revision, so the TTL only bounds staleness of nothing.
      searchCacheTtlSeconds: int(env.SEARCH_CACHE_TTL_SECONDS, 300),
      // Sketches per page (one D1 round trip) when the D1 vector store scans: 2048 dims = 512 hex
      // characters a sketch, ~8 MB of text a page; 100,000 chunks are 7 round trips.
      vectorScanPageSize: Math.max(16, int(env.VECTOR_SCAN_PAGE_SIZE, 16_000)),
      // Cosine below which a vector-only hit doesn't count as relevant (then the fallback answer is given).
      minSimilarity: num(env.RETRIEVAL_MIN_SIMILARITY, 0.3),
      // Answer only when the best passage covers this much of the question's IDF-weighted content
      // (src/ai/evidence.ts); calibrated on bench/answers (calibration split), checked on its held-out half.
      minEvidence: num(env.ANSWER_MIN_EVIDENCE, 0.5),
      // WordNet synonyms in the answer pipeline's retrieval and evidence (paraphrase gaps); off only to measure.
      queryExpansion: env.ANSWER_QUERY_EXPANSION !== "false",
      limits: {
        // A 1,000-page PDF is a long book; pdf.js parses every page into memory.
        maxPdfPages: Math.max(1, int(env.KNOWLEDGE_MAX_PDF_PAGES, 1000)),
        // A Worker has 128 MB: the inflated document part must leave room for its text and chunks.
        maxDecompressedBytes: Math.max(1024, int(env.KNOWLEDGE_MAX_DECOMPRESSED_BYTES, 64 * 1024 * 1024)),
        // WordprocessingML deflates ~5-20:1 (boilerplate-heavy tables up to ~100:1); zip bombs ~1000:1.
        maxCompressionRatio: Math.max(2, int(env.KNOWLEDGE_MAX_COMPRESSION_RATIO, 200)),
        // Each chunk is an embedding call's share and a stored vector: 5,000 chunks of 1,000 characters
        // is a 5 MB text, far beyond any handbook; more is a bill, not a document.
        maxChunksPerDocument: Math.max(1, int(env.KNOWLEDGE_MAX_CHUNKS_PER_DOCUMENT, 5000)),
        // The API's own minimum for chunk_size: tiny chunks multiply the embedding work.
        minChunkSize: Math.max(50, int(env.KNOWLEDGE_MIN_CHUNK_SIZE, 100)),
      },
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
        // OpenAI's names; Ollama serves none of them (it has no audio endpoints): unset means "not offered".
        transcriptionModel: env.OPENAI_TRANSCRIPTION_MODEL ?? "whisper-1",
        speechModel: env.OPENAI_SPEECH_MODEL ?? "tts-1",
        speechVoice: env.OPENAI_SPEECH_VOICE ?? "alloy",
        // /models says nothing about vision: the server's vision model is named (empty = no vision).
        visionModel: env.OPENAI_VISION_MODEL || undefined,
        audio: env.OPENAI_AUDIO !== "false",
      },
      workersAi: {
        chatModel: env.WORKERS_AI_CHAT_MODEL ?? "@cf/meta/llama-3.1-8b-instruct",
        embeddingModel: env.WORKERS_AI_EMBEDDING_MODEL ?? "@cf/baai/bge-base-en-v1.5",
        // Checked against @cloudflare/workers-types' AiModels: base64 audio in, { text, transcription_info } out.
        transcriptionModel: env.WORKERS_AI_TRANSCRIPTION_MODEL ?? "@cf/openai/whisper-large-v3-turbo",
        // { prompt, lang } in, { audio: base64 mp3 } out.
        speechModel: env.WORKERS_AI_SPEECH_MODEL ?? "@cf/myshell-ai/melotts",
        // Chat messages with image_url content parts (data: URLs).
        visionModel: env.WORKERS_AI_VISION_MODEL ?? "@cf/meta/llama-3.2-11b-vision-instruct",
      },
      providers: providerList(env),
      anthropic: {
        baseUrl: (env.ANTHROPIC_BASE_URL ?? "https://api.anthropic.com").replace(/\/+$/, ""),
        apiKey: env.ANTHROPIC_API_KEY,
        chatModel: env.ANTHROPIC_CHAT_MODEL ?? "claude-sonnet-4-5",
        // The Messages API's only stable version header.
        version: env.ANTHROPIC_VERSION ?? "2023-06-01",
        // Used only when GET /v1/models can't be read (an older gateway): the chat model alone otherwise.
        models: (env.ANTHROPIC_MODELS ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      },
      // OpenAI's /audio/transcriptions limit; a 10-minute voice note in Opus is ~5 MB.
      audioMaxBytes: Math.max(1024, int(env.AI_AUDIO_MAX_BYTES, 25 * 1024 * 1024)),
      // Claude and OpenAI accept up to ~20 MB images; 5 MB keeps a base64 prompt within a Worker's memory.
      imageMaxBytes: Math.max(1024, int(env.AI_IMAGE_MAX_BYTES, 5 * 1024 * 1024)),
    },
    oauth: {
      google: {
        clientId: env.GOOGLE_CLIENT_ID || undefined,
        clientSecret: env.GOOGLE_CLIENT_SECRET || undefined,
        // Google's discovery document; tests point it at a local OpenID provider.
        discoveryUrl: env.GOOGLE_OIDC_DISCOVERY_URL || "https://accounts.google.com/.well-known/openid-configuration",
      },
      // ai-chat-app-api.md "user whitelist": "ana@example.com,@coaching.example" — unset, anyone may register.
      registrationAllowlist: (env.REGISTRATION_ALLOWLIST ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean),
    },
    plans: {
      // Follows RATE_LIMITS_ENABLED unless set: the benchmarks that switch rate limits off to measure
      // the platform mean "don't meter" too; an e2e test switches plans on explicitly.
      enabled: (env.PLAN_LIMITS_ENABLED ?? env.RATE_LIMITS_ENABLED ?? "true") !== "false",
      // Denial of wallet: a ceiling on the audience's AI answers per creator per UTC day, whatever the
      // plan says (enterprise's ai_messages are unlimited, an operator override may be huge). Above the
      // pro tier's 2,000 so it caps only what a plan doesn't; 0 = no ceiling.
      audienceAiAnswersPerDay: int(env.AUDIENCE_AI_ANSWERS_PER_DAY, 5_000) || null,
    },
    metricsFlush: env.METRICS_FLUSH === "interval" ? "interval" : "request",
    webhooks: {
      // SSRF: only development and tests may deliver to 127.0.0.1 / private addresses over http.
      allowPrivateUrls: (env.WEBHOOKS_ALLOW_PRIVATE_URLS ?? (env.ENVIRONMENT === "production" ? "false" : "true")) === "true",
      // A slow receiver holds one queue slot at most this long (Standard Webhooks suggests 15 s).
      timeoutMs: Math.max(1000, int(env.WEBHOOK_TIMEOUT_MS, 10_000)),
      // "Never more than a few concurrent deliveries per endpoint" (issue 8).
      maxConcurrencyPerEndpoint: Math.max(1, int(env.WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT, 3)),
      // An endpoint failing this long is disabled and the creator notified (issue 8: a day).
      disableAfterHours: Math.max(1, int(env.WEBHOOK_DISABLE_AFTER_HOURS, 24)),
    },
    notifications: {
      // A handover mails the creator's agents when none is connected to the live inbox.
      emailHandoverWhenNoAgentOnline: (env.HANDOVER_EMAIL_WHEN_NO_AGENT_ONLINE ?? "true") === "true",
    },
    analyticsExports: {
      // creator-hub-api.md "Export Analytics Data": 10 a day per creator (the GDPR export has its own limit).
      perDay: Math.max(1, int(env.ANALYTICS_EXPORTS_PER_DAY, 10)),
      // A download link is a bearer credential: short-lived, re-issued by every status read.
      linkTtlSeconds: Math.max(60, int(env.ANALYTICS_EXPORT_LINK_TTL_SECONDS, 3600)),
    },
    analytics: {
      // Cosine similarity at which two unanswered questions share a knowledge gap (tuned on the local
      // provider's n-gram embeddings; a semantic model groups paraphrases well above it).
      knowledgeGapSimilarity: Math.min(0.99, Math.max(0.1, Number(env.KNOWLEDGE_GAP_SIMILARITY ?? "0.5") || 0.5)),
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
      // 3x the per-(address, account) limit: an office behind one NAT signs in a few people a minute;
      // a stuffing list of thousands of emails from one address is refused after 30.
      authPerAddress: { limit: int(env.RATE_LIMIT_AUTH_PER_ADDRESS_PER_MINUTE, 30), windowSeconds: minute },
      // A household or office opens a few dozen visits an hour; a script opening thousands of
      // sessions (each a visitor the AI answers) is refused past this.
      widgetSessionsPerAddress: { limit: int(env.WIDGET_SESSIONS_PER_ADDRESS_PER_HOUR, 60), windowSeconds: hour },
    },
    login: {
      // OWASP authentication cheat sheet: lock after a handful of failures, for a short, growing time
      // (1 min, 2, 4 … at most 15), so a stranger can't keep the owner out for long — and the owner's
      // refresh tokens and a password reset (which lifts the lock) keep working throughout.
      lock: {
        threshold: Math.max(1, int(env.LOGIN_FAILURES_BEFORE_LOCK, 10)),
        windowSeconds: 15 * minute,
        baseLockSeconds: int(env.LOGIN_LOCK_SECONDS, 60),
        maxLockSeconds: int(env.LOGIN_LOCK_MAX_SECONDS, 15 * minute),
      },
      // A reset mail per 20 minutes on average: enough for a forgetful owner, useless for mail-bombing.
      resetMails: { limit: int(env.PASSWORD_RESET_MAILS_PER_HOUR, 3), windowSeconds: hour },
    },
  };
  cache.set(env, cfg);
  return cfg;
}
