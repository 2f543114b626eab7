// The ingestion job: original from R2 → text → chunks → embeddings in batches → FTS + vectors.
// Status pending → processing → completed | failed with progress (chunks_done / chunks_total).
import { and, eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { documents, type KnowledgeBaseSettings } from "../../db/schema";
import type { Env } from "../../env";
import { notifyDocumentFailed } from "../notifications";
import { config } from "../../config";
import { aiProvider } from "../../ai/providers";
import { vectorStore } from "../../ai/vector-store";
import { nowIso } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { chunkSections } from "./chunk";
import { groupBatch } from "./group-commit";
import { removeChunks, contentKey, originalKey } from "./documents";
import { ExtractionError, extractSections } from "./extract";
import type { FileType } from "./file-types";

export interface IngestJob {
  type: "knowledge.ingest";
  creatorId: string;
  documentId: string;
  /** The document generation this message was sent for; an older one is stale and skipped. */
  generation: number;
}

/** Text handed to the embedding model: the heading path gives a chunk its context. */
export const embeddingText = (heading: string, content: string) => (heading ? `${heading}\n${content}` : content);

async function setState(env: Env, job: IngestJob, values: Partial<typeof documents.$inferInsert>) {
  const t = tenant(env.DB, job.creatorId);
  await t.db
    .update(documents)
    .set({ ...values, updatedAt: nowIso() })
    .where(t.where(documents, and(eq(documents.id, job.documentId), eq(documents.generation, job.generation))))
    .run();
}

export async function markFailed(env: Env, job: IngestJob, message: string) {
  await setState(env, job, { processingStatus: "failed", errorMessage: message.slice(0, 1000) });
  await notifyDocumentFailed(env, job.creatorId, job.documentId, message); // notifications module
}

interface BegunDocument {
  id: string;
  knowledgeBaseId: string;
  r2Key: string;
  fileType: string;
  generation: number;
  chunksTotal: number;
}

/**
 * pending → processing for the generation this message was sent for (undefined when deleted or
 * reprocessed), and the chunk settings of its knowledge base (found through the document: no wait for
 * its row) — one batch, grouped with the other documents being ingested (./group-commit.ts).
 */
async function begin(env: Env, job: IngestJob): Promise<{ doc?: BegunDocument; settings?: KnowledgeBaseSettings }> {
  const [updated, kb] = await groupBatch(env.DB, [
    env.DB.prepare(
      `UPDATE documents SET processing_status = 'processing', error_message = NULL, chunks_done = 0, updated_at = ?
        WHERE creator_id = ? AND id = ? AND generation = ?
        RETURNING id, knowledge_base_id AS knowledgeBaseId, r2_key AS r2Key, file_type AS fileType, generation, chunks_total AS chunksTotal`,
    ).bind(nowIso(), job.creatorId, job.documentId, job.generation),
    env.DB.prepare(
      `SELECT k.settings FROM knowledge_bases k JOIN documents d ON d.knowledge_base_id = k.id AND d.creator_id = k.creator_id
        WHERE k.creator_id = ? AND d.id = ?`,
    ).bind(job.creatorId, job.documentId),
  ]);
  const doc = updated!.results[0] as BegunDocument | undefined;
  const settings = (kb!.results[0] as { settings: string } | undefined)?.settings;
  return { doc, settings: settings ? (JSON.parse(settings) as KnowledgeBaseSettings) : undefined };
}

/** Runs one ingestion. Unreadable files fail the document at once; other errors throw (the queue retries). */
export async function ingestDocument(env: Env, job: IngestJob): Promise<void> {
  const started = Date.now();
  // Side by side (each a round trip): "processing" becomes visible while the original is fetched.
  const [{ doc, settings }, original] = await Promise.all([begin(env, job), env.FILES.get(originalKey(job.creatorId, job.documentId))]);
  if (!doc) return; // deleted, or reprocessed since this message was sent
  // A document whose knowledge base can't be read is a fault, not a deletion (that takes the documents too): retried.
  if (!settings) throw notFound("Knowledge base");
  const object = doc.r2Key === originalKey(job.creatorId, doc.id) ? original : await env.FILES.get(doc.r2Key);
  if (!object) return markFailed(env, job, "The original file is missing from storage");
  const bytes = new Uint8Array(await object.arrayBuffer());
  // Chunks can only exist from an earlier attempt or generation.
  const mayHaveChunks = doc.generation > 1 || doc.chunksTotal > 0;

  let chunks;
  let text: string;
  try {
    const limits = config(env).knowledge.limits;
    const sections = await extractSections(doc.fileType as FileType, bytes, limits);
    text = sections.map((s) => (s.heading ? `${s.heading}\n\n${s.text}` : s.text)).join("\n\n");
    chunks = chunkSections(sections, { chunkSize: Math.max(limits.minChunkSize, settings.chunk_size), chunkOverlap: settings.chunk_overlap });
    if (!chunks.length) throw new ExtractionError("The file contains no extractable text");
    if (chunks.length > limits.maxChunksPerDocument) {
      throw new ExtractionError(
        `The document would make ${chunks.length} chunks; at most ${limits.maxChunksPerDocument} are allowed per document (split it, or use a larger chunk_size)`,
      );
    }
  } catch (err) {
    if (err instanceof ExtractionError) {
      log("warn", "document extraction failed", { documentId: doc.id, error: err.message });
      if (mayHaveChunks) await removeChunks(env, job.creatorId, doc.id);
      return markFailed(env, job, err.message);
    }
    throw err;
  }

  // Idempotent: whatever an earlier attempt or generation left behind goes first.
  if (mayHaveChunks) await removeChunks(env, job.creatorId, doc.id);
  // Written while the chunks are embedded and stored; awaited with the last batch.
  const contentWritten = env.FILES.put(contentKey(job.creatorId, doc.id), text, { httpMetadata: { contentType: "text/plain; charset=utf-8" } });

  const provider = aiProvider(env);
  const store = vectorStore(env);
  const batchSize = config(env).knowledge.embeddingBatchSize;
  for (let start = 0; start < chunks.length; start += batchSize) {
    const batch = chunks.slice(start, start + batchSize);
    const last = start + batch.length >= chunks.length;
    const vectors = await provider.embed(batch.map((c) => embeddingText(c.heading, c.content)));
    const ids = batch.map(() => newId());
    const records = batch.map((_, i) => ({ chunkId: ids[i]!, knowledgeBaseId: doc.knowledgeBaseId, documentId: doc.id, values: vectors[i]! }));
    // One D1 transaction per batch: chunks (FTS rows by trigger), their vectors when the store lives
    // in D1, and the progress (on the last batch: completion and the knowledge base's new revision).
    // Chunks are only written while the document is still this generation (checked in the same
    // transaction, so a delete or reprocess while this ran leaves nothing of this batch behind).
    const now = nowIso();
    const statements: D1PreparedStatement[] = [
      ...batch.map((c, i) =>
        env.DB.prepare(
          `INSERT INTO knowledge_chunks (id, creator_id, knowledge_base_id, document_id, chunk_index, content, heading, metadata)
           SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE creator_id = ? AND id = ? AND generation = ?)`,
        ).bind(ids[i], job.creatorId, doc.knowledgeBaseId, doc.id, start + i, c.content, c.heading, JSON.stringify(c.heading ? { heading: c.heading } : {}), job.creatorId, doc.id, job.generation),
      ),
      ...(store.statements ? store.statements(job.creatorId, records) : []),
      env.DB.prepare(
        `UPDATE documents SET chunks_total = ?, content_chars = ?, chunks_done = ?, updated_at = ?${last ? ", processing_status = 'completed', processed_at = ?, processing_time_ms = ?" : ""}
         WHERE creator_id = ? AND id = ? AND generation = ?`,
      ).bind(chunks.length, text.length, start + batch.length, now, ...(last ? [now, Date.now() - started] : []), job.creatorId, doc.id, job.generation),
    ];
    if (last) statements.push(env.DB.prepare("UPDATE knowledge_bases SET revision = revision + 1 WHERE creator_id = ? AND id = ?").bind(job.creatorId, doc.knowledgeBaseId));
    const progress = batch.length + (store.statements ? batch.length : 0);
    // Grouped with the other documents' writes of this moment (one round trip, one transaction each caller's).
    const results = last ? (await Promise.all([groupBatch(env.DB, statements), contentWritten]))[0] : await groupBatch(env.DB, statements);
    if (!results[progress]!.meta.changes) {
      // Deleted or reprocessed while running: what earlier batches wrote goes too.
      await removeChunks(env, job.creatorId, doc.id);
      return;
    }
    if (!store.statements) {
      // Stores outside D1 (Vectorize) get the vectors once their chunks exist.
      const seqs = await env.DB.prepare(`SELECT id, seq FROM knowledge_chunks WHERE creator_id = ? AND id IN (${ids.map(() => "?").join(",")})`)
        .bind(job.creatorId, ...ids)
        .raw<[string, number]>();
      const seqOf = new Map(seqs);
      await store.upsert(job.creatorId, records.map((r) => ({ ...r, chunkSeq: seqOf.get(r.chunkId)! })));
    }
  }
}
