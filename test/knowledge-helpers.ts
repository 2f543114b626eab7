// Factories for knowledge tests: knowledge bases, multipart uploads, waiting for ingestion.
import { env } from "cloudflare:test";
import { api } from "./helpers";

export async function createKb(token: string, body: Record<string, unknown> = {}) {
  const res = await api("/api/v1/knowledge-bases", { method: "POST", token, json: { name: "Handbook", ...body } });
  if (res.status !== 201) throw new Error(`create kb failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; settings: { chunk_size: number; chunk_overlap: number; embedding_model: string } };
}

export function uploadForm(filename: string, content: string | Uint8Array, extra: Record<string, string> = {}, type = "application/octet-stream") {
  const form = new FormData();
  form.set("file", new File([content], filename, { type }));
  for (const [k, v] of Object.entries(extra)) form.set(k, v);
  return form;
}

export async function upload(token: string, kbId: string, filename: string, content: string | Uint8Array, extra: Record<string, string> = {}) {
  return api(`/api/v1/knowledge-bases/${kbId}/documents`, { method: "POST", token, body: uploadForm(filename, content, extra) });
}

export interface DocState {
  processing_status: string;
  error_message: string | null;
  chunks_total: number;
  chunks_done: number;
}

/** Polls D1 (not the API: rate limits) until the document leaves pending/processing. */
export async function waitForDocument(documentId: string, timeoutMs = 20_000): Promise<DocState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await env.DB.prepare("SELECT processing_status, error_message, chunks_total, chunks_done FROM documents WHERE id = ?").bind(documentId).first<DocState>();
    if (row && (row.processing_status === "completed" || row.processing_status === "failed")) return row;
    if (Date.now() > deadline) throw new Error(`document ${documentId} still ${row?.processing_status ?? "missing"}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function uploadAndWait(token: string, kbId: string, filename: string, content: string | Uint8Array, extra: Record<string, string> = {}) {
  const res = await upload(token, kbId, filename, content, extra);
  if (res.status !== 202) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  const doc = (await res.json()) as { id: string };
  const state = await waitForDocument(doc.id);
  return { id: doc.id, ...state };
}
