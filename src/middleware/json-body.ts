// JSON request bodies: 415 for another media type, 413 over the size limit, 400 when unparseable.
// The text is left in Hono's body cache, where the route validators read it.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";
import { AppError } from "../lib/errors";

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface JsonBodyOptions {
  maxBytes: (c: { env: AppBindings["Bindings"] }) => number;
  /** Paths that take other bodies (uploads, webhooks with signed raw bytes): they check their own. */
  exempt: (path: string) => boolean;
}

export const jsonBody = (opts: JsonBodyOptions) =>
  createMiddleware<AppBindings>(async (c, next) => {
    if (!METHODS_WITH_BODY.has(c.req.method) || opts.exempt(c.req.path)) return next();
    const max = opts.maxBytes(c);
    const declared = Number(c.req.header("Content-Length") ?? "NaN");
    if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
    const raw = c.req.raw.body;
    if (!raw) return next();
    const contentType = c.req.header("Content-Type") ?? "";
    const text = await readLimited(raw, max);
    // Hono caches promises here although its type says string; json() re-reads from this text.
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    if (text.length === 0) return next();
    if (!JSON_TYPE.test(contentType)) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Request body must be application/json");
    }
    try {
      JSON.parse(text);
    } catch {
      throw new AppError("MALFORMED_REQUEST", "Request body is not valid JSON");
    }
    await next();
  });

function tooLarge(max: number) {
  return new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${max} bytes`);
}

async function readLimited(stream: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}
