// Reads multipart uploads (file, title, metadata JSON; or several files) with the size limits checked before parsing.
import type { Context } from "hono";
import type { AppBindings } from "../../env";
import { config } from "../../config";
import { AppError, invalid } from "../../lib/errors";
import { parseMetadataField } from "./documents";
import type { UploadInput } from "./uploads";

// Room for the multipart boundaries and the small text fields around the file.
const FORM_OVERHEAD = 64 * 1024;

async function readForm(c: Context<AppBindings>, maxBytes: number, what: string): Promise<FormData> {
  const declared = Number(c.req.header("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes + FORM_OVERHEAD) throw new AppError("PAYLOAD_TOO_LARGE", `${what} limited to ${maxBytes} bytes`);
  if (!/^multipart\/form-data/i.test(c.req.header("Content-Type") ?? "")) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Uploads are multipart/form-data with a 'file' field");
  }
  try {
    return await c.req.formData();
  } catch {
    throw new AppError("MALFORMED_REQUEST", "The multipart body could not be parsed");
  }
}

export async function readUpload(c: Context<AppBindings>): Promise<UploadInput & { knowledgeBaseId?: string }> {
  const max = config(c.env).knowledge.maxFileBytes;
  const form = await readForm(c, max, "Files are");
  const file = form.get("file");
  if (!file || typeof file === "string") throw invalid([{ field: "file", message: "A file is required" }]);
  if (file.size > max) throw new AppError("PAYLOAD_TOO_LARGE", `Files are limited to ${max} bytes`);
  const title = form.get("title");
  if (title !== null && (typeof title !== "string" || title.length > 255)) {
    throw invalid([{ field: "title", message: "Must be text of at most 255 characters" }]);
  }
  const kb = form.get("knowledge_base_id");
  return {
    filename: file.name || "upload",
    bytes: new Uint8Array(await file.arrayBuffer()),
    title: typeof title === "string" ? title : undefined,
    metadata: parseMetadataField(form.get("metadata") ?? undefined),
    knowledgeBaseId: typeof kb === "string" && kb ? kb : undefined,
  };
}

/**
 * Several files in one request: every `file` part (up to the batch limits) plus an optional
 * `metadata` JSON object given to each document; titles come from the file names.
 */
export async function readBatchUpload(c: Context<AppBindings>): Promise<UploadInput[]> {
  const cfg = config(c.env).knowledge;
  const form = await readForm(c, cfg.maxBatchBytes, "A batch upload is");
  const files = form.getAll("file").filter((f): f is File => typeof f !== "string");
  if (!files.length) throw invalid([{ field: "file", message: "At least one file is required" }]);
  if (files.length > cfg.maxBatchFiles) throw invalid([{ field: "file", message: `At most ${cfg.maxBatchFiles} files a request` }]);
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > cfg.maxBatchBytes) throw new AppError("PAYLOAD_TOO_LARGE", `A batch upload is limited to ${cfg.maxBatchBytes} bytes`);
  const metadata = parseMetadataField(form.get("metadata") ?? undefined);
  return Promise.all(files.map(async (file) => ({ filename: file.name || "upload", bytes: new Uint8Array(await file.arrayBuffer()), metadata })));
}
