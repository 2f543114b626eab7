// Tables of the knowledge module: knowledge bases, documents, chunks (FTS5-indexed), the D1 vector
// store and the AI request metrics behind "pipeline performance".
import { sql } from "drizzle-orm";
import { blob, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export interface KnowledgeBaseSettings {
  chunk_size: number;
  chunk_overlap: number;
  embedding_model: string;
}

export const KB_AUDIENCES = ["public", "internal"] as const;

export const knowledgeBases = sqliteTable(
  "knowledge_bases",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    settings: text("settings", { mode: "json" }).$type<KnowledgeBaseSettings>().notNull(),
    /** The base that the older /api/v1/creators/knowledge/* paths upload into (one per creator). */
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    /** Who answers may draw on it: `public` (visitors on the widget, Telegram, WhatsApp) or `internal` (the creator's own API only). */
    audience: text("audience", { enum: KB_AUDIENCES }).notNull().default("public"),
    /** Bumped on every change of its content: part of the search cache key, so a bump invalidates. */
    revision: integer("revision").notNull().default(0),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("knowledge_bases_creator_idx").on(t.creatorId, t.createdAt)],
);

export const DOCUMENT_STATUSES = ["pending", "processing", "completed", "failed"] as const;

export const documents = sqliteTable(
  "documents",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    knowledgeBaseId: text("knowledge_base_id").notNull(),
    title: text("title").notNull(),
    filename: text("filename").notNull(),
    /** Detected from the bytes (and the extension): txt | md | html | pdf | docx | csv | json. */
    fileType: text("file_type").notNull(),
    mimeType: text("mime_type").notNull(),
    fileSizeBytes: integer("file_size_bytes").notNull(),
    /** The original in R2 (creators/{creatorId}/documents/{id}/original). */
    r2Key: text("r2_key").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    processingStatus: text("processing_status", { enum: DOCUMENT_STATUSES }).notNull().default("pending"),
    errorMessage: text("error_message"),
    /** Incremented by every (re)process request: a queue message of an older generation is stale. */
    generation: integer("generation").notNull().default(1),
    chunksTotal: integer("chunks_total").notNull().default(0),
    chunksDone: integer("chunks_done").notNull().default(0),
    /** Characters of extracted text (the text itself is in R2 next to the original). */
    contentChars: integer("content_chars").notNull().default(0),
    processingTimeMs: integer("processing_time_ms"),
    processedAt: text("processed_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    index("documents_kb_idx").on(t.creatorId, t.knowledgeBaseId, t.createdAt),
    index("documents_status_idx").on(t.creatorId, t.processingStatus),
  ],
);

/**
 * Chunks of extracted text. `seq` is the integer rowid that the FTS5 table `knowledge_chunks_fts`
 * (external content, hand-written migration with its triggers) and the vector rows point at.
 */
export const knowledgeChunks = sqliteTable(
  "knowledge_chunks",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    creatorId: text("creator_id").notNull(),
    knowledgeBaseId: text("knowledge_base_id").notNull(),
    documentId: text("document_id").notNull(),
    chunkIndex: integer("chunk_index").notNull(),
    content: text("content").notNull(),
    /** Heading path the chunk sits under ("Guide > Refunds"): indexed with it as context. */
    heading: text("heading").notNull().default(""),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("knowledge_chunks_id_unique").on(t.id),
    index("knowledge_chunks_document_idx").on(t.documentId, t.chunkIndex),
    index("knowledge_chunks_creator_kb_idx").on(t.creatorId, t.knowledgeBaseId),
  ],
);

/** The embedded vector store (VECTOR_STORE=d1): int8 vector + 1-bit sketch per chunk, scanned in pages. */
export const chunkVectors = sqliteTable(
  "chunk_vectors",
  {
    chunkSeq: integer("chunk_seq").primaryKey(),
    chunkId: text("chunk_id").notNull(),
    creatorId: text("creator_id").notNull(),
    knowledgeBaseId: text("knowledge_base_id").notNull(),
    documentId: text("document_id").notNull(),
    dimensions: integer("dimensions").notNull(),
    embedding: blob("embedding", { mode: "buffer" }).notNull(),
    /** Sign bits of the embedding (dims/8 bytes): what a query scans before rescoring candidates. */
    sketch: blob("sketch", { mode: "buffer" }).notNull(),
  },
  (t) => [
    // Covering the scan (document and sketch ride along in the index): a query reads the index's
    // ~330 B entries, never the 2.3 KB table rows that also hold the full vector.
    index("chunk_vectors_scan_idx").on(t.creatorId, t.knowledgeBaseId, t.chunkSeq, t.documentId, t.sketch),
    index("chunk_vectors_document_idx").on(t.documentId),
  ],
);

/** One row per answer or search: what "pipeline performance" reports percentiles over. */
export const aiRequestMetrics = sqliteTable(
  "ai_request_metrics",
  {
    id: text("id").primaryKey(),
    creatorId: text("creator_id").notNull(),
    kind: text("kind", { enum: ["answer", "search"] }).notNull(),
    retrievalMs: real("retrieval_ms").notNull(),
    generationMs: real("generation_ms").notNull().default(0),
    totalMs: real("total_ms").notNull(),
    sourcesCount: integer("sources_count").notNull().default(0),
    modelUsed: text("model_used"),
    cacheHit: integer("cache_hit", { mode: "boolean" }).notNull().default(false),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("ai_request_metrics_creator_idx").on(t.creatorId, t.createdAt)],
);
