// Production refuses what only development may have: the committed ENCRYPTION_KEY and the /demo page;
// and the two HTML pages the Worker serves (/docs, /demo) get a Content-Security-Policy.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";
import { config } from "../config";
import { AppError } from "../lib/errors";

/** The development key committed in wrangler.toml: anyone can read it, so it protects nothing. */
export const DEV_ENCRYPTION_KEY = "dev-only-encryption-key-change-me-0123456789abcdef";

function csp(url: URL): string {
  const ws = `${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}`;
  // Scalar and the demo configure themselves with one inline script; nothing may load from elsewhere.
  return [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join("; ");
}

export const productionGuards = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    const production = config(c.env).environment === "production";
    if (production) {
      const keys = (c.env.ENCRYPTION_KEY ?? "").split(",").map((k) => k.trim());
      if (keys.includes(DEV_ENCRYPTION_KEY) && c.req.path !== "/health") {
        throw new AppError("SERVICE_UNAVAILABLE", "The server is misconfigured: set a real ENCRYPTION_KEY secret");
      }
      if (c.req.path === "/demo") throw new AppError("RESOURCE_NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`);
    }
    await next();
    if (c.req.path === "/docs" || c.req.path === "/demo") c.res.headers.set("Content-Security-Policy", csp(new URL(c.req.url)));
  });
