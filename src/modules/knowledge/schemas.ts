// Zod schemas of the knowledge module (creator-hub-api.md "Knowledge Management API").
import { z } from "@hono/zod-openapi";
import { DOCUMENT_STATUSES, KB_AUDIENCES } from "../../db/schema";

export const KbSettings = z
  .object({
    chunk_size: z.number().int().min(100).max(8000),
    chunk_overlap: z.number().int().min(0).max(4000),
    embedding_model: z.string().trim().min(1).max(100),
  })
  .strict();

export const CreateKbBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    settings: KbSettings.partial().optional(),
    /** `public` (default): visitors' answers may use it; `internal`: only the creator's own API. */
    audience: z.enum(KB_AUDIENCES).optional(),
  })
  .strict()
  .openapi("CreateKnowledgeBaseRequest");

export const UpdateKbBody = CreateKbBody.partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: "Give at least one of name, description, settings, audience" })
  .openapi("UpdateKnowledgeBaseRequest");

export const KnowledgeBaseSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    settings: z.object({ chunk_size: z.number(), chunk_overlap: z.number(), embedding_model: z.string() }),
    is_default: z.boolean(),
    audience: z.enum(KB_AUDIENCES),
    created_at: z.string(),
    updated_at: z.string(),
    document_count: z.number().int(),
    total_size_bytes: z.number().int(),
  })
  .openapi("KnowledgeBase");

export const DocumentSchema = z
  .object({
    id: z.string(),
    knowledge_base_id: z.string(),
    title: z.string(),
    filename: z.string(),
    file_type: z.string(),
    mime_type: z.string(),
    file_size_bytes: z.number().int(),
    processing_status: z.enum(DOCUMENT_STATUSES),
    error_message: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    progress: z.object({ chunks_done: z.number().int(), chunks_total: z.number().int() }),
    chunk_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    processed_at: z.string().nullable(),
  })
  .openapi("Document");

export const BatchUploadResultSchema = z
  .object({
    documents: z.array(DocumentSchema),
    errors: z.array(
      z.object({
        index: z.number().int().describe("Position of the file among the request's file parts (0-based)"),
        filename: z.string(),
        error: z.object({ code: z.string(), message: z.string(), details: z.array(z.object({ field: z.string(), message: z.string() })) }),
      }),
    ),
    accepted: z.number().int(),
    rejected: z.number().int(),
  })
  .openapi("BatchUploadResult");

export const DocumentDetailSchema = DocumentSchema.extend({
  content: z.string(),
  chunks: z.array(z.object({ id: z.string(), chunk_index: z.number().int(), content: z.string(), metadata: z.record(z.string(), z.unknown()) })),
}).openapi("DocumentDetail");

export const DocumentListSchema = z
  .object({
    documents: z.array(DocumentSchema),
    pagination: z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() }),
  })
  .openapi("DocumentList");

export const ListDocumentsQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(DOCUMENT_STATUSES).optional(),
  search: z.string().trim().max(200).optional(),
});

export const UpdateDocumentBody = z
  .object({ title: z.string().trim().min(1).max(255), metadata: z.record(z.string(), z.unknown()) })
  .partial()
  .strict()
  .refine((v) => v.title !== undefined || v.metadata !== undefined, { message: "Give title or metadata" })
  .openapi("UpdateDocumentRequest");

export const SearchHitSchema = z
  .object({
    chunk_id: z.string(),
    document_id: z.string(),
    document_title: z.string(),
    knowledge_base_id: z.string(),
    chunk_index: z.number().int(),
    heading: z.string(),
    content: z.string(),
    snippet: z.string(),
    score: z.number(),
    bm25_score: z.number().nullable(),
    vector_score: z.number().nullable(),
    term_coverage: z.number(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .openapi("SearchHit");

export const SearchResultSchema = z
  .object({
    query: z.string(),
    mode: z.enum(["hybrid", "bm25", "vector"]),
    results: z.array(SearchHitSchema),
    total: z.number().int(),
    cache_hit: z.boolean(),
    took_ms: z.number(),
  })
  .openapi("SearchResult");

export const MessageSchema = z.object({ message: z.string() }).openapi("MessageResponse");
