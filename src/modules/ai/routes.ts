// Routes of the AI engine: conversations (JSON or SSE; their context is served by the conversations module), document process/search, models,
// embedding stats, cache, pipeline performance.
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { pipelinePerformance } from "../../ai/metrics";
import { listModels, reloadProviders } from "../../ai/providers/chat";
import { AppError } from "../../lib/errors";
import { BOOKMARK_HEADER } from "../../middleware/d1-session";
import { createRouter, withPolicy, type PlanMeter } from "../../lib/router";

import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { SearchResultSchema } from "../knowledge";
import { searchKnowledge } from "../knowledge";
import { converse, type AiResponse } from "./conversations";
import { AiResponseSchema, ConversationBody, DocumentSearchBody, ProcessBody, WarmBody } from "./schemas";
import * as service from "./service";

/** Every route of the creator's own AI API is an AI call of their plan. */
const AI_CALL: PlanMeter = { counts: ["ai_calls"] };

const tags = ["AI engine"];
const security = [{ bearerAuth: [] }];
const Json = z.record(z.string(), z.unknown());
const CreatorParam = z.object({ creator_id: UuidParam("creator_id") });

const conversationRoute = createRoute({
  method: "post", path: "/api/v1/ai/conversations", tags, security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Ask a question: grounded answer with sources (Accept: text/event-stream streams delta/done events)",
  request: { body: jsonBody(ConversationBody) },
  responses: {
    200: { description: "AI Response Model (or an SSE stream of `delta` events and a final `done` event, whose data also carries `d1_bookmark`: the bookmark X-D1-Bookmark carries on a JSON answer)", content: { "application/json": { schema: AiResponseSchema }, "text/event-stream": { schema: z.string() } } },
    ...errorResponses(400, 401, 403, 404, 409, 422, 429),
  },
});
const processRoute = createRoute({
  method: "post", path: "/api/v1/ai/documents/process", tags, security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "(Re)generate a document's chunks and embeddings (queued)",
  request: { body: jsonBody(ProcessBody) },
  responses: { 202: jsonContent(Json, "Document Processing Result"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});
const searchRoute = createRoute({
  method: "post", path: "/api/v1/ai/documents/search", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Hybrid search (mode: hybrid | bm25 | vector) with knowledge base and metadata filters",
  request: { body: jsonBody(DocumentSearchBody) },
  responses: { 200: jsonContent(SearchResultSchema, "Results"), ...errorResponses(400, 401, 404, 422, 429) },
});
const modelsStatusRoute = createRoute({
  method: "get", path: "/api/v1/ai/models/status", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Provider, chat and embedding models, availability (the provider's error detail and the vector store to admins only)",
  responses: { 200: jsonContent(Json, "Status"), ...errorResponses(401, 429) },
});
const modelsReloadRoute = createRoute({
  method: "post", path: "/api/v1/ai/models/reload", tags, security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Drop cached model lists and re-check the provider (a fresh health check and test embedding)",
  responses: { 200: jsonContent(Json, "Status after reload"), ...errorResponses(401, 403, 429) },
});
const statsRoute = createRoute({
  method: "get", path: "/api/v1/ai/embeddings/stats/{creator_id}", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Chunks, vectors and storage of the creator", request: { params: CreatorParam },
  responses: { 200: jsonContent(Json, "Stats"), ...errorResponses(401, 404, 422, 429) },
});
const invalidateRoute = createRoute({
  method: "delete", path: "/api/v1/ai/cache/{creator_id}/document/{document_id}", tags, security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Invalidate cached searches over the document's knowledge base",
  request: { params: CreatorParam.extend({ document_id: UuidParam("document_id") }) },
  responses: { 200: jsonContent(Json, "Invalidated"), ...errorResponses(401, 403, 404, 422, 429) },
});
const warmRoute = createRoute({
  method: "post", path: "/api/v1/ai/cache/{creator_id}/warm", tags, security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Run searches so their results are cached (given queries, else the audience's recent questions)",
  request: { params: CreatorParam, body: { required: false, content: { "application/json": { schema: WarmBody } } } },
  responses: { 200: jsonContent(Json, "Warmed"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});
const performanceRoute = createRoute({
  method: "get", path: "/api/v1/ai/pipeline/performance", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "p50/p95 of retrieval and generation over the creator's recent requests",
  responses: { 200: jsonContent(Json, "Performance"), ...errorResponses(401, 429) },
});

// An AI answer is chat traffic, and counts against the creator's hourly AI quota.
withPolicy(conversationRoute, { rateLimit: "chat", quotas: ["ai"], meter: { counts: ["ai_messages", "ai_calls"] } });
withPolicy(searchRoute, { rateLimit: "search", meter: AI_CALL });

export const aiRouter = createRouter({ rateLimit: "default", meter: AI_CALL })
  .openapi(conversationRoute, async (c) => {
    const stream = converse(c.env, c.get("creatorId")!, c.req.valid("json"));
    // The first step runs before any byte is sent: 404/409/422 still answer as normal errors.
    const first = await stream.next();
    if (!(c.req.header("Accept") ?? "").includes("text/event-stream")) {
      let event = first;
      while (!event.done && event.value.type !== "done") event = await stream.next();
      if (event.done || event.value.type !== "done") throw new Error("conversation ended without an answer");
      // Written through the conversation object: its D1 bookmark, so the caller's next read sees the turn.
      if (event.value.bookmark) c.header(BOOKMARK_HEADER, event.value.bookmark);
      return c.json(event.value.body, 200);
    }
    return streamSSE(c, async (sse) => {
      try {
        for (let event = first; !event.done; event = await stream.next()) {
          const value = event.value;
          if (value.type === "delta") await sse.writeSSE({ event: "delta", data: JSON.stringify({ delta: value.delta }) });
          // The turn's D1 bookmark is known only once the reply is stored, after the headers have gone:
          // it rides in the final event, so a streaming client can read its own writes too.
          else await sse.writeSSE({ event: "done", data: JSON.stringify({ ...(value.body satisfies AiResponse), ...(value.bookmark && { d1_bookmark: value.bookmark }) }) });
        }
      } catch (err) {
        const e = err instanceof AppError ? err : new AppError("INTERNAL_SERVER_ERROR", "The answer could not be completed");
        await sse.writeSSE({ event: "error", data: JSON.stringify({ code: e.code, message: e.message }) });
      }
    }) as never;
  })
  .openapi(processRoute, async (c) => c.json(await service.processDocument(c.env, c.get("creatorId")!, c.req.valid("json").document_id), 202))
  .openapi(searchRoute, async (c) => {
    const body = c.req.valid("json");
    const kbIds = body.knowledge_base_ids ?? (body.knowledge_base_id ? [body.knowledge_base_id] : undefined);
    return c.json(
      await searchKnowledge(c.env, c.get("creatorId")!, { query: body.query, limit: body.limit, knowledgeBaseIds: kbIds, metadata: body.filters?.metadata, mode: body.mode }),
      200,
    );
  })
  .openapi(modelsStatusRoute, async (c) => c.json(service.statusFor(await service.modelsStatus(c.env), c.get("auth")!.permissions.includes("admin")), 200))
  .openapi(modelsReloadRoute, async (c) => {
    // Drops the cached model lists (src/ai/providers/chat.ts) before the fresh check: GET /api/v1/model asks the providers again.
    const dropped = reloadProviders();
    const models = await listModels(c.env);
    return c.json({ reloaded: true, cache: { dropped_lists: dropped.dropped, models: models.models.length }, ...(await service.modelsStatus(c.env)) }, 200);
  })
  .openapi(statsRoute, async (c) => {
    service.assertSelf(c.get("creatorId")!, c.req.valid("param").creator_id);
    return c.json(await service.embeddingStats(c.env, c.get("creatorId")!), 200);
  })
  .openapi(invalidateRoute, async (c) => {
    const p = c.req.valid("param");
    service.assertSelf(c.get("creatorId")!, p.creator_id);
    return c.json(await service.invalidateDocumentCache(c.env, c.get("creatorId")!, p.document_id), 200);
  })
  .openapi(warmRoute, async (c) => {
    service.assertSelf(c.get("creatorId")!, c.req.valid("param").creator_id);
    return c.json(await service.warmCache(c.env, c.get("creatorId")!, c.req.valid("json") ?? {}), 200);
  })
  .openapi(performanceRoute, async (c) => c.json(await pipelinePerformance(c.env, c.get("creatorId")!), 200));
