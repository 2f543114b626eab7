// Documents of a knowledge base (uploads are in uploads.ts): list, get with chunks, update
// title/metadata, delete and reprocess (both remove every old chunk, FTS row and vector).
import { asc, desc, eq, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { creatorR2Prefix } from "../../db/ownership";
import { documents, knowledgeChunks, type DOCUMENT_STATUSES } from "../../db/schema";
import type { Env } from "../../env";
import { vectorStore } from "../../ai/vector-store";
import { nowIso } from "../../lib/clock";
import { invalid, notFound } from "../../lib/errors";
import { bumpRevision, findKnowledgeBase } from "./knowledge-base-rows";

export type DocumentRow = typeof documents.$inferSelect;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const originalKey = (creatorId: string, documentId: string) => `${creatorR2Prefix(creatorId)}documents/${documentId}/original`;
export const contentKey = (creatorId: string, documentId: string) => `${creatorR2Prefix(creatorId)}documents/${documentId}/content.txt`;

export function presentDocument(row: DocumentRow) {
  return {
    id: row.id,
    knowledge_base_id: row.knowledgeBaseId,
    title: row.title,
    filename: row.filename,
    file_type: row.fileType,
    mime_type: row.mimeType,
    file_size_bytes: row.fileSizeBytes,
    processing_status: row.processingStatus,
    error_message: row.errorMessage,
    metadata: row.metadata,
    progress: { chunks_done: row.chunksDone, chunks_total: row.chunksTotal },
    chunk_count: row.processingStatus === "completed" ? row.chunksTotal : row.chunksDone,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    processed_at: row.processedAt,
  };
}

export interface ListInput {
  knowledgeBaseId?: string;
  page: number;
  limit: number;
  status?: DocumentStatus;
  search?: string;
}

export async function listDocuments(env: Env, creatorId: string, input: ListInput) {
  if (input.knowledgeBaseId) await findKnowledgeBase(env, creatorId, input.knowledgeBaseId);
  const t = tenant(env.DB, creatorId);
  const pattern = input.search ? `%${input.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined;
  const where = t.where(
    documents,
    input.knowledgeBaseId ? eq(documents.knowledgeBaseId, input.knowledgeBaseId) : undefined,
    input.status ? eq(documents.processingStatus, input.status) : undefined,
    pattern ? sql`${documents.title} LIKE ${pattern} ESCAPE '\\'` : undefined,
  );
  const total = (await t.db.select({ n: sql<number>`count(*)` }).from(documents).where(where).get())?.n ?? 0;
  const rows = await t.db
    .select()
    .from(documents)
    .where(where)
    .orderBy(desc(documents.createdAt), desc(documents.id))
    .limit(input.limit)
    .offset((input.page - 1) * input.limit)
    .all();
  return {
    documents: rows.map(presentDocument),
    pagination: { page: input.page, limit: input.limit, total, pages: Math.ceil(total / input.limit) },
  };
}

export async function findDocument(env: Env, creatorId: string, documentId: string, knowledgeBaseId?: string): Promise<DocumentRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .select()
    .from(documents)
    .where(t.where(documents, eq(documents.id, documentId), knowledgeBaseId ? eq(documents.knowledgeBaseId, knowledgeBaseId) : undefined))
    .get();
  if (!row) throw notFound("Document");
  return row;
}

export async function getDocument(env: Env, creatorId: string, knowledgeBaseId: string | undefined, documentId: string) {
  const row = await findDocument(env, creatorId, documentId, knowledgeBaseId);
  const t = tenant(env.DB, creatorId);
  const chunks = await t.db
    .select({ id: knowledgeChunks.id, chunkIndex: knowledgeChunks.chunkIndex, content: knowledgeChunks.content, heading: knowledgeChunks.heading, metadata: knowledgeChunks.metadata })
    .from(knowledgeChunks)
    .where(t.where(knowledgeChunks, eq(knowledgeChunks.documentId, documentId)))
    .orderBy(asc(knowledgeChunks.chunkIndex))
    .all();
  const content = row.processingStatus === "completed" ? ((await (await env.FILES.get(contentKey(creatorId, documentId)))?.text()) ?? "") : "";
  return {
    ...presentDocument(row),
    content,
    chunks: chunks.map((c) => ({ id: c.id, chunk_index: c.chunkIndex, content: c.content, metadata: { ...c.metadata, heading: c.heading } })),
  };
}

export async function updateDocument(
  env: Env,
  creatorId: string,
  knowledgeBaseId: string | undefined,
  documentId: string,
  input: { title?: string; metadata?: Record<string, unknown> },
) {
  const row = await findDocument(env, creatorId, documentId, knowledgeBaseId);
  const t = tenant(env.DB, creatorId);
  const updated = await t.db
    .update(documents)
    .set({ ...(input.title !== undefined && { title: input.title }), ...(input.metadata !== undefined && { metadata: input.metadata }), updatedAt: nowIso() })
    .where(t.where(documents, eq(documents.id, documentId)))
    .returning()
    .get();
  // Titles and metadata appear in search results and filters.
  await bumpRevision(env, creatorId, [row.knowledgeBaseId]);
  return presentDocument(updated!);
}

/** Deletes every chunk (the FTS rows go with them, by trigger) and vector of a document. Idempotent. */
export async function removeChunks(env: Env, creatorId: string, documentId: string) {
  const t = tenant(env.DB, creatorId);
  const store = vectorStore(env);
  for (;;) {
    const ids = (
      await t.db.select({ id: knowledgeChunks.id }).from(knowledgeChunks).where(t.where(knowledgeChunks, eq(knowledgeChunks.documentId, documentId))).limit(500).all()
    ).map((r) => r.id);
    if (!ids.length) break;
    await store.delete(creatorId, ids);
    for (let i = 0; i < ids.length; i += 80) {
      const group = ids.slice(i, i + 80);
      await env.DB.prepare(`DELETE FROM knowledge_chunks WHERE creator_id = ? AND id IN (${group.map(() => "?").join(",")})`).bind(creatorId, ...group).run();
    }
  }
}

export async function removeDocument(env: Env, creatorId: string, row: DocumentRow) {
  const t = tenant(env.DB, creatorId);
  // The row goes first: an ingestion still running sees it gone and stops.
  await t.db.delete(documents).where(t.where(documents, eq(documents.id, row.id))).run();
  await removeChunks(env, creatorId, row.id);
  await env.FILES.delete([row.r2Key, contentKey(creatorId, row.id)]);
  await bumpRevision(env, creatorId, [row.knowledgeBaseId]);
}

export async function deleteDocument(env: Env, creatorId: string, knowledgeBaseId: string | undefined, documentId: string) {
  const row = await findDocument(env, creatorId, documentId, knowledgeBaseId);
  await removeDocument(env, creatorId, row);
  return { message: "Document deleted successfully" };
}

/** A new generation: the queued message of the old one becomes stale; chunks are rebuilt from the original. */
export async function reprocessDocument(env: Env, creatorId: string, knowledgeBaseId: string | undefined, documentId: string) {
  await findDocument(env, creatorId, documentId, knowledgeBaseId);
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .update(documents)
    .set({
      generation: sql`${documents.generation} + 1`,
      processingStatus: "pending",
      errorMessage: null,
      chunksDone: 0,
      chunksTotal: 0,
      updatedAt: nowIso(),
    })
    .where(t.where(documents, eq(documents.id, documentId)))
    .returning()
    .get();
  await env.JOBS.send({ type: "knowledge.ingest", creatorId, documentId, generation: row!.generation });
  return presentDocument(row!);
}

export function parseMetadataField(raw: unknown): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (typeof raw !== "string") throw invalid([{ field: "metadata", message: "Must be a JSON object" }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid([{ field: "metadata", message: "Must be a JSON object" }]);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw invalid([{ field: "metadata", message: "Must be a JSON object" }]);
  if (raw.length > 10_000) throw invalid([{ field: "metadata", message: "Must be at most 10000 characters" }]);
  return parsed as Record<string, unknown>;
}
