// JSON request bodies, checked once for every route: 415 for another media type, 413 over the size
// limit, 400 when unparseable. The text is left in Hono's body cache, where the route validators read
// it. Routes declared with `body: "raw"` (src/lib/router.ts) read and bound their own bodies.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";
import { AppError } from "../lib/errors";
import { policyOf } from "../lib/router";

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface JsonBodyOptions {
  maxBytes: (c: { env: AppBindings["Bindings"] }) => number;
}

export const jsonBody = (opts: JsonBodyOptions) =>
  createMiddleware<AppBindings>(async (c, next) => {
    if (!METHODS_WITH_BODY.has(c.req.method) || policyOf(c.req.method, c.req.path)?.body === "raw") return next();
    const max = opts.maxBytes(c);
    if (!c.req.raw.body) return next();
    const contentType = c.req.header("Content-Type") ?? "";
    const text = new TextDecoder().decode(await readBodyLimited(c.req.raw, max));
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

/**
 * A request body read up to `max` bytes (413 beyond, by the declared length before reading): the one
 * implementation of the body limit, also used by routes with raw bodies (signed webhook bytes).
 */
export async function readBodyLimited(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
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
  return all;
}
