// customer-support-platform-api.md "Memory Engine API" (base /api/memory): knowledge search and
// store vector, served by the same hybrid search and vector store.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, withPolicy, type PlanMeter } from "../../lib/router";

/** Every route of the creator's own AI API is an AI call of their plan. */
const AI_CALL: PlanMeter = { counts: ["ai_calls"] };
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { searchKnowledge } from "../knowledge";
import { MemorySearchBody, StoreVectorBody } from "./schemas";
import { storeVector } from "./service";

const tags = ["Memory engine (customer-support paths)"];
const security = [{ bearerAuth: [] }];

const searchRoute = createRoute({
  method: "post", path: "/api/memory/knowledge/search", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Search the knowledge base (results: id, title, content, relevance, source)",
  request: { body: jsonBody(MemorySearchBody) },
  responses: {
    200: jsonContent(z.object({ results: z.array(z.object({ id: z.string(), title: z.string(), content: z.string(), relevance: z.number(), source: z.string(), url: z.string().nullable() })) }), "Results"),
    ...errorResponses(400, 401, 422, 429),
  },
});
const vectorRoute = createRoute({
  method: "post", path: "/api/memory/vectors", tags, security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Store a text with its embedding (searchable at once, in the default knowledge base)",
  request: { body: jsonBody(StoreVectorBody) },
  responses: { 201: jsonContent(z.object({ id: z.string(), document_id: z.string(), status: z.literal("stored"), dimensions: z.number().int() }), "Stored"), ...errorResponses(400, 401, 403, 422, 429) },
});

withPolicy(searchRoute, { rateLimit: "search", meter: AI_CALL });

export const memoryRouter = createRouter({ rateLimit: "default", meter: AI_CALL })
  .openapi(searchRoute, async (c) => {
    const body = c.req.valid("json");
    const r = await searchKnowledge(c.env, c.get("creatorId")!, { query: body.query, limit: body.limit ?? 5 });
    const top = r.results[0]?.score ?? 1;
    return c.json(
      {
        results: r.results.map((h) => ({
          id: h.chunk_id,
          title: h.document_title,
          content: h.content,
          // Fused scores (0..1) scaled so the best result is 1 (the spec's relevance is 0..1).
          relevance: Math.round((h.score / top) * 1000) / 1000,
          source: typeof h.metadata.source === "string" ? h.metadata.source : "knowledge_base",
          url: typeof h.metadata.url === "string" ? h.metadata.url : null,
        })),
      },
      200,
    );
  })
  .openapi(vectorRoute, async (c) => c.json(await storeVector(c.env, c.get("creatorId")!, c.req.valid("json")), 201));
