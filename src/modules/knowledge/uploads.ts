// Uploads: each original goes to R2, its document row to D1 (pending), its ingestion to the queue.
// One file or many in one request: a batch makes one D1 batch and one queue sendBatch, and a bad
// file gets its own error without losing the others.
import type { Env } from "../../env";
import { config } from "../../config";
import { AppError, type ErrorDetail } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { documents } from "../../db/schema";
import { tenant } from "../../db/client";
import { originalKey, presentDocument } from "./documents";
import { detectFileType, MIME_TYPES, type FileType } from "./file-types";
import type { IngestJob } from "./ingest";

export interface UploadInput {
  filename: string;
  bytes: Uint8Array;
  title?: string;
  metadata?: Record<string, unknown>;
}

export interface UploadError {
  index: number;
  filename: string;
  error: { code: string; message: string; details: ErrorDetail[] };
}

/** The knowledge base the caller found within the creator's tenancy (its row, so no second lookup). */
export interface TargetKb {
  id: string;
}

interface Accepted {
  index: number;
  input: UploadInput;
  fileType: FileType;
  id: string;
  key: string;
}

/** 413 over the size limit, 415/422 by content: the checks that need nothing but the bytes. */
function check(env: Env, input: UploadInput): FileType {
  const max = config(env).knowledge.maxFileBytes;
  if (input.bytes.byteLength > max) throw new AppError("PAYLOAD_TOO_LARGE", `Files are limited to ${max} bytes`);
  return detectFileType(input.filename, input.bytes);
}

const errorOf = (index: number, filename: string, err: AppError): UploadError => ({
  index,
  filename,
  error: { code: err.code, message: err.message, details: err.details },
});

async function store(env: Env, creatorId: string, kb: TargetKb, files: Accepted[]) {
  // Originals first (in parallel): a document row never points at a file that isn't there.
  await Promise.all(
    files.map((f) =>
      env.FILES.put(f.key, f.input.bytes, {
        httpMetadata: { contentType: MIME_TYPES[f.fileType] },
        customMetadata: { filename: f.input.filename.slice(0, 255) },
      }),
    ),
  );
  const t = tenant(env.DB, creatorId);
  const values = files.map((f) => ({
    id: f.id,
    creatorId,
    knowledgeBaseId: kb.id,
    title: (f.input.title?.trim() || f.input.filename.replace(/\.[A-Za-z0-9]+$/, "").trim() || "Untitled").slice(0, 255),
    filename: f.input.filename.slice(0, 255) || "upload",
    fileType: f.fileType,
    mimeType: MIME_TYPES[f.fileType],
    fileSizeBytes: f.input.bytes.byteLength,
    r2Key: f.key,
    metadata: f.input.metadata ?? {},
  }));
  let rows: (typeof documents.$inferSelect)[];
  try {
    // One statement a row (D1 binds at most 100 parameters a statement), all in one batch.
    const [first, ...rest] = values.map((v) => t.db.insert(documents).values(v).returning());
    rows = (await t.db.batch([first!, ...rest])).flat();
  } catch (err) {
    await env.FILES.delete(files.map((f) => f.key)).catch(() => undefined);
    throw err;
  }
  const jobs: IngestJob[] = rows.map((r) => ({ type: "knowledge.ingest", creatorId, documentId: r.id, generation: r.generation }));
  if (jobs.length === 1) await env.JOBS.send(jobs[0]!);
  else await env.JOBS.sendBatch(jobs.map((body) => ({ body })));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return files.map((f) => presentDocument(byId.get(f.id)!));
}

/** One file: stores the original and queues its ingestion. Throws 413/415/422 for a bad file. */
export async function uploadDocument(env: Env, creatorId: string, kb: TargetKb, input: UploadInput) {
  const fileType = check(env, input);
  const id = newId();
  const [doc] = await store(env, creatorId, kb, [{ index: 0, input, fileType, id, key: originalKey(creatorId, id) }]);
  return doc!;
}

/**
 * Several files: every good one becomes a document (one D1 batch insert, one queue sendBatch), every
 * bad one an entry in `errors` with the error it would have had alone. 422 when none is good.
 */
export async function uploadDocuments(env: Env, creatorId: string, kb: TargetKb, inputs: UploadInput[]) {
  const accepted: Accepted[] = [];
  const errors: UploadError[] = [];
  inputs.forEach((input, index) => {
    try {
      const fileType = check(env, input);
      const id = newId();
      accepted.push({ index, input, fileType, id, key: originalKey(creatorId, id) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      errors.push(errorOf(index, input.filename, err));
    }
  });
  if (!accepted.length) {
    throw new AppError(
      "VALIDATION_ERROR",
      "No file of the upload was accepted",
      errors.map((e) => ({ field: `file[${e.index}]`, message: `${e.filename}: ${e.error.message}` })),
    );
  }
  const docs = await store(env, creatorId, kb, accepted);
  if (errors.length) log("info", "knowledge.batch_upload.partial", { creator_id: creatorId, accepted: docs.length, rejected: errors.length });
  return { documents: docs, errors, accepted: docs.length, rejected: errors.length };
}
