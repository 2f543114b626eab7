// GET /metrics (Prometheus text, operator credential only), and the request-counting middleware.
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppBindings } from "../../env";
import { createRouter } from "../../lib/router";
import { errorResponses } from "../../lib/schemas";
import { requireOperator } from "../../middleware/operator";
import { flushSoon } from "./flush";
import { recordRequest } from "./record";
import { scrape } from "./service";

export { recordAiCall, recordJob, recordWebhookDelivery } from "./record";
export { flushMetrics } from "./flush";

/** Counts every request by its route template (never the raw path: ids would explode the series). */
export const requestMetrics = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    const started = performance.now();
    await next();
    const template = routePath(c, -1);
    const route = !template || template === "*" || template === "/*" ? "unmatched" : template;
    recordRequest(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    flushSoon(c.env, (p) => c.executionCtx.waitUntil(p));
  });

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["Operator"],
  security: [{ bearerAuth: [] }],
  middleware: [requireOperator()] as const,
  summary: "Prometheus metrics aggregated across isolates (operator credential only)",
  responses: { 200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: z.string() } } }, ...errorResponses(403) },
});

// Scraped every few seconds by the operator's Prometheus: not rate limited (the operator credential guards it).
export const metricsRouter = createRouter({ rateLimit: "none", meter: "none" }).openapi(metricsRoute, async (c) => {
  c.header("Cache-Control", "no-store");
  return c.body(await scrape(c.env), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }) as never;
});
