// Zod schemas of the AI engine routes (coaching-platform-services.md "AI Engine Service").
import { z } from "@hono/zod-openapi";

export const ConversationBody = z
  .object({
    message: z.string().trim().min(1).max(4000),
    conversation_id: z.string().uuid().optional(),
    knowledge_base_id: z.string().uuid().optional(),
  })
  .strict()
  .openapi("AiConversationRequest");

export const AiResponseSchema = z
  .object({
    response: z.string(),
    conversation_id: z.string(),
    message_id: z.string(),
    confidence: z.number(),
    processing_time_ms: z.number(),
    model_used: z.string(),
    sources_count: z.number().int(),
    sources: z.array(z.object({ content: z.string(), metadata: z.record(z.string(), z.unknown()), similarity_score: z.number() })),
  })
  .openapi("AiResponse");

export const MetadataFilterSchema = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), z.union([z.string().max(500), z.number(), z.boolean()]));

export const DocumentSearchBody = z
  .object({
    query: z.string().trim().min(1).max(1000),
    knowledge_base_id: z.string().uuid().optional(),
    knowledge_base_ids: z.array(z.string().uuid()).min(1).max(20).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    mode: z.enum(["hybrid", "bm25", "vector"]).optional(),
    filters: z.object({ metadata: MetadataFilterSchema.optional() }).strict().optional(),
  })
  .strict()
  .openapi("DocumentSearchRequest");

export const ProcessBody = z.object({ document_id: z.string().uuid() }).strict().openapi("DocumentProcessRequest");

export const WarmBody = z
  .object({
    queries: z.array(z.string().trim().min(1).max(1000)).max(50).optional(),
    knowledge_base_id: z.string().uuid().optional(),
    limit: z.number().int().min(1).max(50).optional(),
  })
  .strict()
  .openapi("CacheWarmRequest");

export const MemorySearchBody = z
  .object({
    query: z.string().trim().min(1).max(1000),
    /** The spec's organizationId: the tenant comes from the token, so it is accepted and ignored. */
    organizationId: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(50).optional(),
  })
  .strict()
  .openapi("KnowledgeSearchRequest");

export const StoreVectorBody = z
  .object({
    text: z.string().trim().min(1).max(20_000),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .openapi("StoreVectorRequest");
