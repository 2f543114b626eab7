// Reads a multipart upload (file, title, metadata JSON) with the size limit checked before parsing.
import type { Context } from "hono";
import type { AppBindings } from "../../env";
import { config } from "../../config";
import { AppError, invalid } from "../../lib/errors";
import { parseMetadataField, type UploadInput } from "./documents";

// Room for the multipart boundaries and the small text fields around the file.
const FORM_OVERHEAD = 64 * 1024;

export async function readUpload(c: Context<AppBindings>): Promise<UploadInput & { knowledgeBaseId?: string }> {
  const max = config(c.env).knowledge.maxFileBytes;
  const declared = Number(c.req.header("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max + FORM_OVERHEAD) {
    throw new AppError("PAYLOAD_TOO_LARGE", `Files are limited to ${max} bytes`);
  }
  if (!/^multipart\/form-data/i.test(c.req.header("Content-Type") ?? "")) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Uploads are multipart/form-data with a 'file' field");
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new AppError("MALFORMED_REQUEST", "The multipart body could not be parsed");
  }
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
