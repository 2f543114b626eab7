// Liveness, readiness (D1, R2, providers), the OpenAPI document and its interactive reference.
import { createRoute, z } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { config } from "../../config";
import { createRouter } from "../../lib/router";
import { jsonContent } from "../../lib/schemas";

const tags = ["System"];

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags,
  summary: "Liveness: 200 whenever the Worker runs",
  responses: { 200: jsonContent(z.object({ status: z.literal("ok"), timestamp: z.string() }), "Alive") },
});

const ReadySchema = z.object({
  status: z.enum(["ready", "degraded"]),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), latency_ms: z.number().optional(), error: z.string().optional() })),
  providers: z.object({ ai: z.string(), vector_store: z.string() }),
  timestamp: z.string(),
});

const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  tags,
  summary: "Readiness: checks D1 and R2, reports the AI and vector providers",
  responses: { 200: jsonContent(ReadySchema, "Ready"), 503: jsonContent(ReadySchema, "A dependency is down") },
});

async function probe(fn: () => Promise<unknown>) {
  const started = performance.now();
  try {
    await fn();
    return { ok: true, latency_ms: Math.round((performance.now() - started) * 100) / 100 };
  } catch {
    // The reason goes to the log; the body names only the failing dependency.
    return { ok: false, error: "unavailable" };
  }
}

export const systemRouter = createRouter({ rateLimit: "none", meter: "none" })
  .openapi(healthRoute, (c) => c.json({ status: "ok" as const, timestamp: new Date().toISOString() }, 200))
  .openapi(readyRoute, async (c) => {
    const cfg = config(c.env);
    const [d1, r2] = await Promise.all([
      probe(() => c.env.DB.prepare("SELECT 1").first()),
      probe(() => c.env.FILES.head("readiness-probe")),
    ]);
    // Without a proper key nothing can be signed or decrypted (src/lib/crypto.ts fails closed).
    const secrets = (c.env.ENCRYPTION_KEY ?? "").length >= 32 ? { ok: true } : { ok: false, error: "ENCRYPTION_KEY missing or short" };
    const ok = d1.ok && r2.ok && secrets.ok;
    return c.json(
      {
        status: ok ? ("ready" as const) : ("degraded" as const),
        checks: { d1, r2, secrets },
        providers: { ai: cfg.aiProvider, vector_store: cfg.vectorStore },
        timestamp: new Date().toISOString(),
      },
      ok ? 200 : 503,
    );
  });

/** /docs: Scalar's reference, its script served by this Worker (public/docs/scalar.js) so it works offline. */
export const docsHandler = Scalar({ url: "/openapi.json", pageTitle: "EdgeCoach API", cdn: "/docs/scalar.js" });
