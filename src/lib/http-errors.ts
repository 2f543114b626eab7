// The one error handler: every thrown value becomes the standard error body; nothing internal leaks.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppBindings } from "../env";
import { AppError, errorBody } from "./errors";
import { log } from "./logging";

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400) return new AppError("MALFORMED_REQUEST", "Request body is missing or is not valid JSON");
    if (err.status === 401) return new AppError("AUTHENTICATION_REQUIRED", "Authentication required");
    if (err.status === 413) return new AppError("PAYLOAD_TOO_LARGE", "Request body is too large");
  }
  return new AppError("INTERNAL_SERVER_ERROR", "An unexpected error occurred");
}

export function handleError(err: unknown, c: Context<AppBindings>): Response {
  const appErr = toAppError(err);
  if (appErr.status >= 500) {
    // The stack goes to the log, never to the client.
    log("error", "unhandled error", {
      request_id: c.get("requestId"),
      error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
    });
  }
  const res = c.json(errorBody(appErr, c.get("requestId") ?? "unknown"), appErr.status as 400);
  for (const [k, v] of Object.entries(appErr.headers)) res.headers.set(k, v);
  return res;
}
