// The multi-model API (issue 14 "Every model behind one interface"): model list, plain chat through any
// configured provider, the prompt compiler's LLM/deterministic extraction and the provider tests.
import { z } from "@hono/zod-openapi";
import { config } from "../../config";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import { aiProvider } from "../../ai/providers";
import { chatText, listModels, resolveModel, type ChatTurn, type ModelInfo } from "../../ai/providers/chat";
import { ProviderError } from "../../ai/providers/openai";
import type { AiSuiteChatBody, ModelListQuery } from "./schemas";
import { compile, extractDeterministic, extractionPrompt, formSchema, parseExtraction, parseParameters, canonicalPrompt } from "./prompt-compiler";

export const modelName = (m: ModelInfo) => `${m.provider}:${m.id}`;
const present = (m: ModelInfo) => ({ id: m.id, name: modelName(m), provider: m.provider, capabilities: m.capabilities, default_for: m.default_for });

export async function modelPage(env: Env, q: z.infer<typeof ModelListQuery>, admin: boolean) {
  const { models, errors } = await listModels(env);
  const filtered = models.filter((m) => (!q.capability || m.capabilities.includes(q.capability)) && (!q.provider || m.provider === q.provider));
  const total = filtered.length;
  return {
    models: filtered.slice((q.page - 1) * q.limit, q.page * q.limit).map(present),
    pagination: { page: q.page, limit: q.limit, total, pages: Math.ceil(total / q.limit) },
    // Provider errors can name internal addresses: the detail to admins only (as /ai/models/status).
    unavailable_providers: errors.map((e) => (admin ? e : { provider: e.provider })),
  };
}

/** Decoded images, each within AI_IMAGE_MAX_BYTES (413 otherwise). */
function toTurns(env: Env, messages: z.infer<typeof AiSuiteChatBody>["messages"]): ChatTurn[] {
  const max = config(env).ai.imageMaxBytes;
  return messages.map((m, i) => {
    if (typeof m.content === "string") return { role: m.role, text: m.content };
    const text = m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
    const images = m.content.flatMap((p) => {
      if (p.type !== "image_url") return [];
      const [, mediaType, base64] = /^data:([^;]+);base64,(.*)$/.exec(p.image_url.url)!;
      if (Math.floor((base64!.length * 3) / 4) > max) throw new AppError("PAYLOAD_TOO_LARGE", `An image is larger than ${max} bytes (AI_IMAGE_MAX_BYTES)`, [{ field: `messages.${i}.content`, message: "image too large" }]);
      return [{ mediaType: mediaType!, base64: base64! }];
    });
    if (images.length && m.role !== "user") throw new AppError("VALIDATION_ERROR", "Only user messages can carry images", [{ field: `messages.${i}.content`, message: "image outside a user message" }]);
    return { role: m.role, text, ...(images.length ? { images } : {}) };
  });
}

export async function prepareChat(env: Env, body: z.infer<typeof AiSuiteChatBody>) {
  const model = await resolveModel(env, body.model, "chat");
  const turns = toTurns(env, body.messages);
  if (turns.some((t) => t.images) && !model.capabilities.includes("vision")) {
    throw new AppError("VALIDATION_ERROR", `Model "${modelName(model)}" can't look at images: GET /api/v1/model?capability=vision lists those that can`, [{ field: "model", message: "no vision capability" }]);
  }
  return { model, turns, opts: { temperature: body.temperature, maxTokens: body.max_tokens } };
}

/** A provider failure is the provider's, not ours: 503 with what failed (never a stack). */
export function providerFailure(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ProviderError) return new AppError("SERVICE_UNAVAILABLE", `The model provider failed: ${err.message.slice(0, 200)}`);
  return new AppError("SERVICE_UNAVAILABLE", "The model provider could not be reached");
}

export async function chatCompletion(env: Env, body: z.infer<typeof AiSuiteChatBody>) {
  const { model, turns, opts } = await prepareChat(env, body);
  let content: string;
  try {
    content = await chatText(env, model, turns, opts);
  } catch (err) {
    throw providerFailure(err);
  }
  return {
    id: `chatcmpl-${crypto.randomUUID()}`,
    object: "chat.completion" as const,
    created: Math.floor(Date.now() / 1000),
    model: model.id,
    provider: model.provider,
    choices: [{ index: 0, message: { role: "assistant" as const, content }, finish_reason: "stop" }],
  };
}

/** The model for a prompt tool: the named one, else the default chat model when it is an LLM (not local). */
async function llmFor(env: Env, modelid: string | undefined): Promise<ModelInfo | undefined> {
  if (modelid) return resolveModel(env, modelid, "chat", "modelid");
  const model = await resolveModel(env, undefined, "chat").catch(() => undefined);
  return model && model.provider !== "local" ? model : undefined;
}

export async function compileForm(env: Env, body: { prompt: string; modelid?: string; title?: string }) {
  const params = parseParameters(body.prompt);
  if (body.modelid) await resolveModel(env, body.modelid, "chat", "modelid");
  return {
    compiled_prompt: canonicalPrompt(body.prompt),
    parameters: params.map((p) => p.name),
    form: formSchema(params, body.title),
    modelid: body.modelid ?? null,
  };
}

export async function compilePrompt(env: Env, body: { prompt: string; parameters?: Record<string, unknown>; modelid?: string; optimize?: boolean }) {
  const { compiled, values } = compile(body.prompt, body.parameters ?? {});
  let optimized: { optimized_prompt: string; model: string } | undefined;
  if (body.optimize) {
    const model = await llmFor(env, body.modelid);
    if (!model) throw new AppError("SERVICE_UNAVAILABLE", "optimize needs a language model: set AI_PROVIDER or AI_PROVIDERS to a model provider (or pass modelid)");
    try {
      const text = await chatText(env, model, [
        { role: "system", text: "PROMPT_OPTIMIZATION\nRewrite the user's prompt so it is clear, specific and complete. Keep its meaning and every value it contains. Reply with the rewritten prompt only." },
        { role: "user", text: compiled },
      ], { temperature: 0.2, maxTokens: 1024 });
      optimized = { optimized_prompt: text.trim(), model: modelName(model) };
    } catch (err) {
      throw providerFailure(err);
    }
  } else if (body.modelid) await resolveModel(env, body.modelid, "chat", "modelid");
  return { compiled_prompt: compiled, parameters: values, ...(optimized ?? {}) };
}

export async function updateParameters(env: Env, body: { prompt: string; text: string; parameters?: Record<string, unknown>; modelid?: string }) {
  const params = parseParameters(body.prompt);
  const known = compile(body.prompt, body.parameters ?? {}, { partial: true }).values;
  const model = await llmFor(env, body.modelid);
  let extracted: Record<string, string | number | boolean> | undefined;
  let method: "llm" | "deterministic" = "deterministic";
  let llmError: string | undefined;
  if (model && params.length) {
    try {
      const reply = await chatText(env, model, [{ role: "system", text: extractionPrompt(params) }, { role: "user", text: body.text }], { temperature: 0, maxTokens: 512 });
      extracted = parseExtraction(params, reply);
      if (extracted) method = "llm";
      else llmError = "the model's reply was not a JSON object";
    } catch (err) {
      llmError = String((err as Error).message ?? err).slice(0, 200);
    }
  }
  if (!extracted) extracted = extractDeterministic(params, body.text);
  const values = { ...known, ...extracted };
  const missing = params.filter((p) => values[p.name] === undefined && p.default === undefined).map((p) => p.name);
  const { compiled } = compile(body.prompt, values, { partial: true });
  return {
    parameters: values,
    extracted: Object.keys(extracted),
    missing,
    compiled_prompt: compiled,
    method,
    model: method === "llm" ? modelName(model!) : null,
    ...(llmError ? { llm_error: llmError } : {}),
  };
}

export async function testChat(env: Env, body: { message: string; model?: string }) {
  const model = await resolveModel(env, body.model, "chat");
  const started = performance.now();
  try {
    const response = await chatText(env, model, [{ role: "user", text: body.message }], { maxTokens: 256 });
    return { status: "ok", provider: model.provider, model: model.id, response, duration_ms: Math.round(performance.now() - started) };
  } catch (err) {
    throw providerFailure(err);
  }
}

export async function testEmbedding(env: Env, text: string) {
  const provider = aiProvider(env);
  const started = performance.now();
  let vector: Float32Array;
  try {
    [vector] = (await provider.embed([text])) as [Float32Array];
  } catch (err) {
    throw providerFailure(err);
  }
  let norm = 0;
  for (const x of vector) norm += x * x;
  return {
    status: "ok",
    provider: provider.name,
    model: provider.embeddingModel,
    dimensions: vector.length,
    norm: Math.round(Math.sqrt(norm) * 1e6) / 1e6,
    preview: Array.from(vector.slice(0, 8), (x) => Math.round(x * 1e6) / 1e6),
    duration_ms: Math.round(performance.now() - started),
  };
}
