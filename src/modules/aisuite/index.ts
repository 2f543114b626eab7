// Routes of the multi-model API: GET /api/v1/model, POST /api/v1/aisuite/chat (JSON or SSE), the prompt
// compiler (/api/v1/prompt_compiler/*) and the provider tests (/api/v1/ai/ollama/test-chat|test-embedding).
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { chatWith } from "../../ai/providers/chat";
import { AppError } from "../../lib/errors";
import { createRouter, withPolicy } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { AiSuiteChatBody, AiSuiteChatResponse, CompileBody, CompileFormBody, ModelListQuery, ModelListSchema, TestChatBody, TestEmbeddingBody, UpdateParametersBody } from "./schemas";
import * as service from "./service";

const security = [{ bearerAuth: [] }];
const Json = z.record(z.string(), z.unknown());

const modelsRoute = createRoute({
  method: "get", path: "/api/v1/model", tags: ["Models"], security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Models of the configured providers with their capabilities (paginated; filter by capability or provider)",
  request: { query: ModelListQuery },
  responses: { 200: jsonContent(ModelListSchema, "Models"), ...errorResponses(401, 422, 429) },
});
const chatRoute = createRoute({
  method: "post", path: "/api/v1/aisuite/chat", tags: ["AI suite"], security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "A plain chat completion through whichever configured provider serves `model` (SSE when stream: true)",
  request: { body: jsonBody(AiSuiteChatBody) },
  responses: {
    200: { description: "Chat completion (or SSE chunks `data: {choices:[{delta}]}` and `data: [DONE]`)", content: { "application/json": { schema: AiSuiteChatResponse }, "text/event-stream": { schema: z.string() } } },
    ...errorResponses(400, 401, 403, 413, 422, 429),
    503: { description: "The provider failed" },
  },
});
const compileFormRoute = createRoute({
  method: "post", path: "/api/v1/prompt_compiler/compile/form", tags: ["Prompt compiler"], security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "A prompt with {{parameters}} → the canonical prompt and a JSON-Schema form for its parameters",
  request: { body: jsonBody(CompileFormBody) },
  responses: { 200: jsonContent(Json, "Form"), ...errorResponses(400, 401, 422, 429) },
});
const compileRoute = createRoute({
  method: "post", path: "/api/v1/prompt_compiler/compile", tags: ["Prompt compiler"], security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Substitute checked parameter values (optimize: true also has the model rewrite it)",
  request: { body: jsonBody(CompileBody) },
  responses: { 200: jsonContent(Json, "Compiled"), ...errorResponses(400, 401, 422, 429), 503: { description: "No model for optimize" } },
});
const updateParametersRoute = createRoute({
  method: "post", path: "/api/v1/prompt_compiler/update_parameters", tags: ["Prompt compiler"], security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Parameter values read from text: by the model where one is configured, deterministic parsing otherwise (`method` says which)",
  request: { body: jsonBody(UpdateParametersBody) },
  responses: { 200: jsonContent(Json, "Parameters"), ...errorResponses(400, 401, 422, 429) },
});
const testChatRoute = createRoute({
  method: "post", path: "/api/v1/ai/ollama/test-chat", tags: ["AI engine"], security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Run the configured chat model (or `model`) on the caller's message",
  request: { body: jsonBody(TestChatBody) },
  responses: { 200: jsonContent(Json, "Reply"), ...errorResponses(400, 401, 403, 422, 429), 503: { description: "The provider failed" } },
});
const testEmbeddingRoute = createRoute({
  method: "post", path: "/api/v1/ai/ollama/test-embedding", tags: ["AI engine"], security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Embed the caller's text with the configured embedding model (dimensions, norm, first values)",
  request: { body: jsonBody(TestEmbeddingBody) },
  responses: { 200: jsonContent(Json, "Embedding"), ...errorResponses(400, 401, 403, 422, 429), 503: { description: "The provider failed" } },
});

// Model calls are chat traffic and count against the creator's hourly AI quota; of the plan, a plain chat
// is an AI answer, the provider tests and the compiler's model calls are AI calls.
withPolicy(chatRoute, { rateLimit: "chat", quotas: ["ai"], meter: { counts: ["ai_messages", "ai_calls"] } });
for (const r of [testChatRoute, testEmbeddingRoute]) withPolicy(r, { rateLimit: "chat", quotas: ["ai"], meter: { counts: ["ai_calls"] } });
for (const r of [compileRoute, updateParametersRoute]) withPolicy(r, { rateLimit: "chat", quotas: ["ai"], meter: { counts: ["ai_calls"] } });

export const aiSuiteRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(modelsRoute, async (c) => c.json(await service.modelPage(c.env, c.req.valid("query"), c.get("auth")!.permissions.includes("admin")), 200))
  .openapi(chatRoute, async (c) => {
    const body = c.req.valid("json");
    if (!body.stream) return c.json(await service.chatCompletion(c.env, body), 200);
    const { model, turns, opts } = await service.prepareChat(c.env, body);
    const deltas = chatWith(c.env, model, turns, opts);
    // The first delta is awaited before any byte goes out: a failing provider is still a 503 JSON error.
    let first: IteratorResult<string>;
    try {
      first = await deltas.next();
    } catch (err) {
      throw service.providerFailure(err);
    }
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, string>, finish: string | null) =>
      JSON.stringify({ id, object: "chat.completion.chunk", created, model: model.id, provider: model.provider, choices: [{ index: 0, delta, finish_reason: finish }] });
    return streamSSE(c, async (sse) => {
      try {
        await sse.writeSSE({ data: chunk({ role: "assistant" }, null) });
        for (let event = first; !event.done; event = await deltas.next()) await sse.writeSSE({ data: chunk({ content: event.value }, null) });
        await sse.writeSSE({ data: chunk({}, "stop") });
      } catch (err) {
        const e = err instanceof AppError ? err : service.providerFailure(err);
        await sse.writeSSE({ data: JSON.stringify({ error: { code: e.code, message: e.message } }) });
      }
      await sse.writeSSE({ data: "[DONE]" });
    }) as never;
  })
  .openapi(compileFormRoute, async (c) => c.json(await service.compileForm(c.env, c.req.valid("json")), 200))
  .openapi(compileRoute, async (c) => c.json(await service.compilePrompt(c.env, c.req.valid("json")), 200))
  .openapi(updateParametersRoute, async (c) => c.json(await service.updateParameters(c.env, c.req.valid("json")), 200))
  .openapi(testChatRoute, async (c) => c.json(await service.testChat(c.env, c.req.valid("json")), 200))
  .openapi(testEmbeddingRoute, async (c) => c.json(await service.testEmbedding(c.env, c.req.valid("json").text), 200));
