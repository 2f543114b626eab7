// One structured JSON log line per request.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";
import { log, setLogLevel } from "../lib/logging";

export const accessLog = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    setLogLevel(c.env.LOG_LEVEL);
    const started = performance.now();
    await next();
    const status = c.res.status;
    log(status >= 500 ? "error" : status >= 400 ? "warn" : "info", "request", {
      request_id: c.get("requestId"),
      creator_id: c.get("creatorId") ?? null,
      method: c.req.method,
      path: c.req.path,
      // Credentials in the query (a socket's token or ticket) are redacted by log() itself.
      ...(c.req.url.includes("?") && { query: new URL(c.req.url).search }),
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      ...c.get("logFields"),
    });
  });
