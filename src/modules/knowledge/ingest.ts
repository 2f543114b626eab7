// The ingestion job: original from R2 → text → chunks → embeddings in batches → FTS + vectors.
// Status pending → processing → completed | failed with progress (chunks_done / chunks_total).
import { and, eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { documents } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { aiProvider } from "../../ai/providers";
import { vectorStore } from "../../ai/vector-store";
import { nowIso } from "../../lib/clock";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { chunkSections } from "./chunk";
import { removeChunks, contentKey, type DocumentRow } from "./documents";
import { ExtractionError, extractSections } from "./extract";
import type { FileType } from "./file-types";
import { findKnowledgeBase } from "./knowledge-bases";

export interface IngestJob {
  type: "knowledge.ingest";
  creatorId: string;
  documentId: string;
  /** The document generation this message was sent for; an older one is stale and skipped. */
  generation: number;
}

/** Text handed to the embedding model: the heading path gives a chunk its context. */
export const embeddingText = (heading: string, content: string) => (heading ? `${heading}\n${content}` : content);

async function current(env: Env, job: IngestJob): Promise<DocumentRow | undefined> {
  const t = tenant(env.DB, job.creatorId);
  const row = await t.db.select().from(documents).where(t.where(documents, eq(documents.id, job.documentId))).get();
  return row && row.generation === job.generation ? row : undefined;
}

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
}

/** Runs one ingestion. Unreadable files fail the document at once; other errors throw (the queue retries). */
export async function ingestDocument(env: Env, job: IngestJob): Promise<void> {
  const started = Date.now();
  const doc = await current(env, job);
  if (!doc) return; // deleted, or reprocessed since this message was sent
  // "processing" becomes visible while the original is fetched.
  const [, object, kb] = await Promise.all([
    setState(env, job, { processingStatus: "processing", errorMessage: null, chunksDone: 0 }),
    env.FILES.get(doc.r2Key),
    findKnowledgeBase(env, job.creatorId, doc.knowledgeBaseId),
  ]);
  if (!object) return markFailed(env, job, "The original file is missing from storage");
  const bytes = new Uint8Array(await object.arrayBuffer());
  // Chunks can only exist from an earlier attempt or generation.
  const mayHaveChunks = doc.generation > 1 || doc.chunksTotal > 0;

  let chunks;
  let text: string;
  try {
    const sections = await extractSections(doc.fileType as FileType, bytes);
    text = sections.map((s) => (s.heading ? `${s.heading}\n\n${s.text}` : s.text)).join("\n\n");
    chunks = chunkSections(sections, { chunkSize: kb.settings.chunk_size, chunkOverlap: kb.settings.chunk_overlap });
    if (!chunks.length) throw new ExtractionError("The file contains no extractable text");
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
  await env.FILES.put(contentKey(job.creatorId, doc.id), text, { httpMetadata: { contentType: "text/plain; charset=utf-8" } });

  const provider = aiProvider(env);
  const store = vectorStore(env);
  const batchSize = config(env).knowledge.embeddingBatchSize;
  for (let start = 0; start < chunks.length; start += batchSize) {
    const batch = chunks.slice(start, start + batchSize);
    const last = start + batch.length >= chunks.length;
    const vectors = await provider.embed(batch.map((c) => embeddingText(c.heading, c.content)));
    if (!(await current(env, job))) {
      // Deleted or reprocessed while running: leave nothing behind.
      await removeChunks(env, job.creatorId, doc.id);
      return;
    }
    const ids = batch.map(() => newId());
    const records = batch.map((_, i) => ({ chunkId: ids[i]!, knowledgeBaseId: doc.knowledgeBaseId, documentId: doc.id, values: vectors[i]! }));
    // One D1 transaction per batch: chunks (FTS rows by trigger), their vectors when the store lives
    // in D1, and the progress (on the last batch: completion and the knowledge base's new revision).
    const now = nowIso();
    const statements: D1PreparedStatement[] = [
      ...batch.map((c, i) =>
        env.DB.prepare(
          "INSERT INTO knowledge_chunks (id, creator_id, knowledge_base_id, document_id, chunk_index, content, heading, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ).bind(ids[i], job.creatorId, doc.knowledgeBaseId, doc.id, start + i, c.content, c.heading, JSON.stringify(c.heading ? { heading: c.heading } : {})),
      ),
      ...(store.statements ? store.statements(job.creatorId, records) : []),
      env.DB.prepare(
        `UPDATE documents SET chunks_total = ?, content_chars = ?, chunks_done = ?, updated_at = ?${last ? ", processing_status = 'completed', processed_at = ?, processing_time_ms = ?" : ""}
         WHERE creator_id = ? AND id = ? AND generation = ?`,
      ).bind(chunks.length, text.length, start + batch.length, now, ...(last ? [now, Date.now() - started] : []), job.creatorId, doc.id, job.generation),
    ];
    if (last) statements.push(env.DB.prepare("UPDATE knowledge_bases SET revision = revision + 1 WHERE creator_id = ? AND id = ?").bind(job.creatorId, doc.knowledgeBaseId));
    await env.DB.batch(statements);
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
