// Zod schemas shared by every module: the error body, ids, timestamps.
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_ERROR" }),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })),
      timestamp: z.string(),
      request_id: z.string(),
    }),
  })
  .openapi("Error");

export const UuidParam = (name: string) =>
  z.string().uuid().openapi({ param: { name, in: "path" }, example: "3f0e0d3c-8d6c-4a59-9f55-0c4a1c1c0b1a" });

/** Standard error responses for route declarations. */
export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Insufficient permissions",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation error",
    429: "Rate limit exceeded",
  };
  return Object.fromEntries(
    statuses.map((s) => [s, { description: descriptions[s] ?? "Error", content: { "application/json": { schema: ErrorSchema } } }]),
  );
}

export function jsonContent<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body (required: true makes the validator run for every content type). */
export function jsonBody<T extends z.ZodTypeAny>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}
