// AI engine operations: model status/reload, embedding stats, cache invalidation and warming, document
// processing, and the customer-support "store vector" entry point.
import { and, desc, eq, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { chunkVectors, documents, knowledgeBases, knowledgeChunks, messages } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { aiProvider } from "../../ai/providers";
import { vectorStore } from "../../ai/vector-store";
import { notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { bumpRevision, defaultKnowledgeBase } from "../knowledge";
import { findDocument, presentDocument, reprocessDocument } from "../knowledge";
import { searchKnowledge } from "../knowledge";
import { embeddingText } from "../knowledge";

/** Paths that name a creator id must name the caller's own (404 otherwise: existence isn't leaked). */
export function assertSelf(tokenCreatorId: string, pathCreatorId: string) {
  if (tokenCreatorId !== pathCreatorId) throw notFound("Creator");
}

/**
 * Agents and viewers see whether the AI works, not how it is wired: the provider's error text
 * (which may quote internal URLs, hosts or keys' names) and the vector store are for admins.
 */
export function statusFor<T extends { detail: string | null; vector_store: unknown }>(status: T, admin: boolean) {
  return admin ? status : { ...status, detail: status.detail === null ? null : "See the status as an admin for details", vector_store: undefined };
}

export async function modelsStatus(env: Env) {
  const provider = aiProvider(env);
  const started = performance.now();
  const health = await provider.health();
  let dimensions = provider.dimensions ?? null;
  let embeddingCheck: "ok" | "failed" = "ok";
  let embeddingError: string | undefined;
  if (health.status === "available") {
    try {
      dimensions = (await provider.embed(["health check"]))[0]!.length;
    } catch (err) {
      embeddingCheck = "failed";
      embeddingError = String((err as Error).message ?? err);
    }
  }
  const available = health.status === "available" && embeddingCheck === "ok";
  return {
    provider: provider.name,
    status: available ? "available" : "unavailable",
    detail: embeddingError ?? health.detail ?? null,
    models: {
      chat: { name: provider.chatModel, status: health.status, extractive: provider.name === "local" },
      embedding: { name: provider.embeddingModel, status: available ? "available" : "unavailable", dimensions },
    },
    vector_store: config(env).vectorStore,
    checked_in_ms: Math.round(performance.now() - started),
  };
}

export async function embeddingStats(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const bases = await t.db.select({ id: knowledgeBases.id, name: knowledgeBases.name }).from(knowledgeBases).where(t.where(knowledgeBases)).all();
  const docCounts = await t.db
    .select({ kb: documents.knowledgeBaseId, n: sql<number>`count(*)` })
    .from(documents)
    .where(t.where(documents))
    .groupBy(documents.knowledgeBaseId)
    .all();
  const chunkCounts = await t.db
    .select({ kb: knowledgeChunks.knowledgeBaseId, n: sql<number>`count(*)` })
    .from(knowledgeChunks)
    .where(t.where(knowledgeChunks))
    .groupBy(knowledgeChunks.knowledgeBaseId)
    .all();
  const countOf = (rows: { kb: string; n: number }[], id: string) => rows.find((r) => r.kb === id)?.n ?? 0;
  const perKb = bases.map((b) => ({ id: b.id, name: b.name, documents: countOf(docCounts, b.id), chunks: countOf(chunkCounts, b.id) }));
  const byStatus = await t.db
    .select({ status: documents.processingStatus, n: sql<number>`count(*)` })
    .from(documents)
    .where(t.where(documents))
    .groupBy(documents.processingStatus)
    .all();
  const vectors = await vectorStore(env).count(creatorId);
  const dims = await t.db
    .select({ dimensions: chunkVectors.dimensions, bytes: sql<number>`coalesce(sum(length(${chunkVectors.embedding})), 0)` })
    .from(chunkVectors)
    .where(t.where(chunkVectors))
    .get();
  const totalChunks = perKb.reduce((a, k) => a + k.chunks, 0);
  const provider = aiProvider(env);
  return {
    creator_id: creatorId,
    embedding_model: provider.embeddingModel,
    vector_store: config(env).vectorStore,
    dimensions: dims?.dimensions ?? provider.dimensions ?? null,
    total_chunks: totalChunks,
    total_vectors: vectors ?? null,
    vector_storage_bytes: config(env).vectorStore === "d1" ? (dims?.bytes ?? 0) : null,
    documents_by_status: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
    knowledge_bases: perKb,
  };
}

export async function invalidateDocumentCache(env: Env, creatorId: string, documentId: string) {
  const doc = await findDocument(env, creatorId, documentId);
  await bumpRevision(env, creatorId, [doc.knowledgeBaseId]);
  return { invalidated: true, document_id: doc.id, knowledge_base_id: doc.knowledgeBaseId };
}

const WARM_FROM_HISTORY = 20;

/** Runs the given queries (or the audience's recent questions) so their results are cached. */
export async function warmCache(env: Env, creatorId: string, input: { queries?: string[]; knowledge_base_id?: string; limit?: number }) {
  let queries = input.queries?.map((q) => q.trim()).filter(Boolean);
  let source: "request" | "recent_questions" = "request";
  if (!queries?.length) {
    source = "recent_questions";
    const t = tenant(env.DB, creatorId);
    const recent = await t.db
      .select({ text: messages.text })
      .from(messages)
      .where(and(t.where(messages), eq(messages.sender, "user")))
      .orderBy(desc(messages.createdAt))
      .limit(WARM_FROM_HISTORY * 3)
      .all();
    queries = [...new Set(recent.map((r) => r.text.trim()).filter((q) => q && q.length <= 1000))].slice(0, WARM_FROM_HISTORY);
  }
  const warmed: { query: string; results: number; already_cached: boolean }[] = [];
  for (const query of queries) {
    const r = await searchKnowledge(env, creatorId, {
      query,
      limit: input.limit ?? 10,
      knowledgeBaseIds: input.knowledge_base_id ? [input.knowledge_base_id] : undefined,
    });
    warmed.push({ query, results: r.total, already_cached: r.cache_hit });
  }
  return { creator_id: creatorId, source, warmed: warmed.length, queries: warmed };
}

export async function processDocument(env: Env, creatorId: string, documentId: string) {
  const doc = presentDocument(await findDocument(env, creatorId, documentId));
  const queued = await reprocessDocument(env, creatorId, undefined, doc.id);
  return {
    document_id: queued.id,
    status: queued.processing_status,
    total_chunks: 0,
    processing_time_seconds: 0,
    filename: queued.filename,
    error_message: null,
    metadata: { file_size: queued.file_size_bytes, mime_type: queued.mime_type, chunk_count: 0 },
  };
}

/**
 * customer-support "Store Vector Embedding": the text becomes a one-chunk document of the default
 * knowledge base, embedded and indexed at once (so it is searchable immediately).
 */
export async function storeVector(env: Env, creatorId: string, input: { text: string; metadata?: Record<string, unknown> }) {
  const kb = await defaultKnowledgeBase(env, creatorId);
  const provider = aiProvider(env);
  const title = typeof input.metadata?.title === "string" && input.metadata.title.trim() ? input.metadata.title.trim().slice(0, 255) : "Stored text";
  const [vector] = await provider.embed([embeddingText("", input.text)]);
  const documentId = newId();
  const chunkId = newId();
  const t = tenant(env.DB, creatorId);
  const key = `creators/${creatorId}/documents/${documentId}/original`;
  await env.FILES.put(key, input.text, { httpMetadata: { contentType: "text/plain" } });
  await env.FILES.put(`creators/${creatorId}/documents/${documentId}/content.txt`, input.text);
  await t.db
    .insert(documents)
    .values({
      id: documentId,
      creatorId,
      knowledgeBaseId: kb.id,
      title,
      filename: "vector.txt",
      fileType: "txt",
      mimeType: "text/plain",
      fileSizeBytes: new TextEncoder().encode(input.text).byteLength,
      r2Key: key,
      metadata: { ...(input.metadata ?? {}), source: input.metadata?.source ?? "vectors_api" },
      processingStatus: "completed",
      chunksTotal: 1,
      chunksDone: 1,
      contentChars: input.text.length,
      processedAt: new Date().toISOString(),
    })
    .run();
  const row = await t.db
    .insert(knowledgeChunks)
    .values({ id: chunkId, creatorId, knowledgeBaseId: kb.id, documentId, chunkIndex: 0, content: input.text, heading: "" })
    .returning({ seq: knowledgeChunks.seq })
    .get();
  await vectorStore(env).upsert(creatorId, [{ chunkSeq: row.seq, chunkId, knowledgeBaseId: kb.id, documentId, values: vector! }]);
  await bumpRevision(env, creatorId, [kb.id]);
  return { id: chunkId, document_id: documentId, status: "stored" as const, dimensions: vector!.length };
}
