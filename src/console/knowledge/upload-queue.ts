// The multi-file upload queue as pure state: files are cut into batches for the batch endpoint,
// each file's progress is read off the bytes sent so far (the multipart body keeps the files in
// order), and the batch answer and later document lists move each file to its processing state.
import type { DocumentStatus, KbDocument } from "../api/types";

export type UploadState = "queued" | "uploading" | DocumentStatus;

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  state: UploadState;
  /** Bytes sent, 0..1 (upload), then chunks embedded, 0..1 (processing). */
  progress: number;
  documentId?: string;
  error?: string;
}

export interface BatchAnswer {
  documents: Pick<KbDocument, "id" | "processing_status" | "error_message">[];
  errors: { index: number; filename: string; error: { message: string } }[];
}

export const BATCH_MAX_FILES = 20;
/** Under the server's 32 MB per request, and small enough that progress moves for a big drop. */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;

export function newItems(files: { name: string; size: number }[], keyPrefix: string): UploadItem[] {
  return files.map((f, i) => ({ key: `${keyPrefix}-${i}`, name: f.name, size: f.size, state: "queued", progress: 0 }));
}

/** Groups item positions into batches of at most maxFiles files and maxBytes bytes (a bigger file goes alone). */
export function planBatches(sizes: number[], maxFiles = BATCH_MAX_FILES, maxBytes = BATCH_MAX_BYTES): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, i) => {
    if (current.length && (current.length >= maxFiles || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length) batches.push(current);
  return batches;
}

/**
 * Each file's share of `loaded` bytes out of `total` (the whole multipart body): the part headers
 * are spread evenly, so a file reads 1 only once every byte before its end has gone.
 */
export function progressByFile(sizes: number[], loaded: number, total: number): number[] {
  const content = sizes.reduce((a, b) => a + b, 0);
  const sent = total > 0 ? (Math.min(loaded, total) / total) * content : 0;
  let before = 0;
  return sizes.map((size) => {
    const start = before;
    before += size;
    if (size === 0) return sent >= start ? 1 : 0;
    return Math.max(0, Math.min(1, (sent - start) / size));
  });
}

/** The batch endpoint's answer: `documents` are the accepted files in request order, `errors` name their position. */
export function applyBatchAnswer(items: UploadItem[], batch: number[], answer: BatchAnswer): UploadItem[] {
  const next = items.slice();
  const rejected = new Map(answer.errors.map((e) => [e.index, e.error.message]));
  let accepted = 0;
  batch.forEach((itemIndex, position) => {
    const item = next[itemIndex]!;
    const error = rejected.get(position);
    if (error !== undefined) {
      next[itemIndex] = { ...item, state: "failed", error, progress: 1 };
      return;
    }
    const doc = answer.documents[accepted++];
    next[itemIndex] = doc
      ? { ...item, state: doc.processing_status, documentId: doc.id, progress: 0, error: doc.error_message ?? undefined }
      : { ...item, state: "failed", error: "The server did not return this file", progress: 1 };
  });
  return next;
}

/** A whole batch failed (network, 413, 422 with no file accepted): every file in it shows why. */
export function failBatch(items: UploadItem[], batch: number[], message: string): UploadItem[] {
  const next = items.slice();
  for (const i of batch) next[i] = { ...next[i]!, state: "failed", error: message, progress: 1 };
  return next;
}

export function setUploadProgress(items: UploadItem[], batch: number[], loaded: number, total: number): UploadItem[] {
  const shares = progressByFile(batch.map((i) => items[i]!.size), loaded, total);
  const next = items.slice();
  batch.forEach((itemIndex, k) => (next[itemIndex] = { ...next[itemIndex]!, state: "uploading", progress: shares[k]! }));
  return next;
}

/** Moves uploaded files along with the documents the list endpoint reports (pending → processing → completed/failed). */
export function mergeDocuments(items: UploadItem[], docs: Pick<KbDocument, "id" | "processing_status" | "error_message" | "progress">[]): UploadItem[] {
  const byId = new Map(docs.map((d) => [d.id, d]));
  let changed = false;
  const next = items.map((item) => {
    const doc = item.documentId ? byId.get(item.documentId) : undefined;
    if (!doc) return item;
    const progress = doc.processing_status === "completed" ? 1 : doc.progress.chunks_total ? doc.progress.chunks_done / doc.progress.chunks_total : 0;
    const error = doc.error_message ?? undefined;
    if (doc.processing_status === item.state && progress === item.progress && error === item.error) return item;
    changed = true;
    return { ...item, state: doc.processing_status, progress, error };
  });
  return changed ? next : items;
}

/** Still waiting on the server: the page keeps asking for document statuses while this is true. */
export const isSettling = (items: UploadItem[]) => items.some((i) => i.state === "queued" || i.state === "uploading" || i.state === "pending" || i.state === "processing");
