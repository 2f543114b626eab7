// Every configured model behind one interface (issue 14): the model list of each enabled provider with
// its capabilities, "which provider serves model X", and a plain chat (text and images) through it.
// Model lists and clients are cached per isolate; reloadProviders() drops them (POST /api/v1/ai/models/reload).
import { config, type Config } from "../../config";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import { recordAiCall } from "../../modules/metrics/record";
import { anthropicChat, anthropicModels, type AnthropicSettings } from "./anthropic";
import { ProviderError } from "./openai";
import { sseData } from "./sse";

export type ProviderName = "local" | "openai" | "workers-ai" | "anthropic";
export const PROVIDER_NAMES: readonly ProviderName[] = ["local", "openai", "workers-ai", "anthropic"];
export type Capability = "chat" | "embeddings" | "vision" | "speech_to_text" | "text_to_speech";

export interface ModelInfo {
  id: string;
  provider: ProviderName;
  capabilities: Capability[];
  /** This provider's default for these capabilities (settings such as OPENAI_CHAT_MODEL). */
  default_for: Capability[];
}

export interface ChatImage {
  mediaType: string;
  base64: string;
}

/** One turn of a plain chat; images only on user turns of vision models. */
export interface ChatTurn {
  role: "system" | "user" | "assistant";
  text: string;
  images?: ChatImage[];
}

export interface ChatOptions {
  temperature?: number;
  maxTokens?: number;
}

const LIST_TTL_MS = 5 * 60_000;
interface Listed {
  at: number;
  models: ModelInfo[];
  errors: { provider: ProviderName; detail: string }[];
}
/** Per isolate, keyed by the provider settings (tests and environments with other settings don't share). */
const listCache = new Map<string, Listed>();
let generation = 0;

/** Drops every cached model list; the next listing asks the providers again. */
export function reloadProviders(): { dropped: number; generation: number } {
  const dropped = listCache.size;
  listCache.clear();
  generation++;
  return { dropped, generation };
}

export function enabledProviders(env: Env): ProviderName[] {
  return config(env).ai.providers.filter((p): p is ProviderName => (PROVIDER_NAMES as readonly string[]).includes(p));
}

function fingerprint(cfg: Config["ai"], providers: ProviderName[], hasAi: boolean): string {
  return JSON.stringify([providers, cfg.openai, cfg.workersAi, { ...cfg.anthropic, apiKey: cfg.anthropic.apiKey ? "set" : "" }, cfg.localEmbeddingDimensions, hasAi]);
}

function info(id: string, provider: ProviderName, capabilities: Capability[], defaults: Partial<Record<Capability, string | undefined>>): ModelInfo {
  return { id, provider, capabilities, default_for: (Object.keys(defaults) as Capability[]).filter((c) => defaults[c] === id) };
}

function openAiModelInfo(id: string, cfg: Config["ai"]["openai"]): ModelInfo {
  const o = cfg;
  const defaults = { chat: o.chatModel, embeddings: o.embeddingModel, vision: o.visionModel, speech_to_text: o.audio ? o.transcriptionModel : undefined, text_to_speech: o.audio ? o.speechModel : undefined };
  const caps: Capability[] = [];
  if (id === o.embeddingModel || /embed/i.test(id)) caps.push("embeddings");
  else if (id === o.transcriptionModel || /whisper|transcribe/i.test(id)) caps.push("speech_to_text");
  else if (id === o.speechModel || /(^|[-_])tts/i.test(id)) caps.push("text_to_speech");
  else {
    caps.push("chat");
    if (id === o.visionModel) caps.push("vision");
  }
  return info(id, "openai", caps, defaults);
}

async function listProvider(env: Env, provider: ProviderName): Promise<ModelInfo[]> {
  const cfg = config(env).ai;
  switch (provider) {
    case "local":
      return [
        info("local-extractive", "local", ["chat"], { chat: "local-extractive" }),
        info(`local-hash-ngram-${cfg.localEmbeddingDimensions}`, "local", ["embeddings"], { embeddings: `local-hash-ngram-${cfg.localEmbeddingDimensions}` }),
      ];
    case "workers-ai": {
      // The binding has no model list: the configured models (checked against workers-types' AiModels).
      const w = cfg.workersAi;
      const d = { chat: w.chatModel, embeddings: w.embeddingModel, vision: w.visionModel, speech_to_text: w.transcriptionModel, text_to_speech: w.speechModel };
      const caps = new Map<string, Capability[]>();
      const add = (id: string, c: Capability[]) => caps.set(id, [...(caps.get(id) ?? []), ...c]);
      add(w.chatModel, ["chat"]);
      add(w.visionModel, ["chat", "vision"]);
      add(w.embeddingModel, ["embeddings"]);
      add(w.transcriptionModel, ["speech_to_text"]);
      add(w.speechModel, ["text_to_speech"]);
      return [...caps].map(([id, c]) => info(id, "workers-ai", [...new Set(c)], d));
    }
    case "openai": {
      const o = cfg.openai;
      const res = await fetch(`${o.baseUrl}/models`, { headers: o.apiKey ? { Authorization: `Bearer ${o.apiKey}` } : {} });
      if (!res.ok) throw new ProviderError(`GET /models answered ${res.status}`);
      const ids = ((await res.json()) as { data?: { id: string }[] }).data?.map((m) => m.id) ?? [];
      // The configured models are served even when the server doesn't list them (Ollama lists only pulled models).
      const all = new Set([...ids, o.chatModel, o.embeddingModel, ...(o.visionModel ? [o.visionModel] : []), ...(o.audio ? [o.transcriptionModel, o.speechModel] : [])]);
      return [...all].map((id) => openAiModelInfo(id, o));
    }
    case "anthropic": {
      const a = cfg.anthropic;
      let ids: string[];
      try {
        ids = await anthropicModels(a);
      } catch (err) {
        if (!a.models.length) throw err;
        ids = a.models;
      }
      return [...new Set([...ids, a.chatModel])].map((id) => info(id, "anthropic", ["chat", "vision"], { chat: a.chatModel, vision: a.chatModel }));
    }
  }
}

/** Every model of every enabled provider (cached); a provider that can't be reached is reported, not fatal. */
export async function listModels(env: Env): Promise<Listed> {
  const cfg = config(env).ai;
  const providers = enabledProviders(env);
  const key = fingerprint(cfg, providers, Boolean(env.AI));
  const hit = listCache.get(key);
  if (hit && Date.now() - hit.at < LIST_TTL_MS) return hit;
  const results = await Promise.allSettled(providers.map((p) => listProvider(env, p)));
  const listed: Listed = { at: Date.now(), models: [], errors: [] };
  results.forEach((r, i) => {
    if (r.status === "fulfilled") listed.models.push(...r.value);
    else listed.errors.push({ provider: providers[i]!, detail: String((r.reason as Error)?.message ?? r.reason) });
  });
  listCache.set(key, listed);
  return listed;
}

/**
 * The model named `model` ("provider:id" or a bare id, first provider wins) with `capability`, or a 422
 * naming GET /api/v1/model. Without a model: the default chat model of AI_PROVIDER.
 */
export async function resolveModel(env: Env, model: string | undefined, capability: Capability = "chat", field = "model"): Promise<ModelInfo> {
  const { models } = await listModels(env);
  if (!model) {
    const main = config(env).aiProvider as ProviderName;
    const found = models.find((m) => m.provider === main && m.default_for.includes(capability)) ?? models.find((m) => m.capabilities.includes(capability));
    if (!found) throw new AppError("SERVICE_UNAVAILABLE", `No configured provider offers ${capability}`);
    return found;
  }
  const colon = model.indexOf(":");
  const prefix = colon > 0 ? model.slice(0, colon) : "";
  const byProvider = (PROVIDER_NAMES as readonly string[]).includes(prefix);
  const id = byProvider ? model.slice(colon + 1) : model;
  const candidates = models.filter((m) => m.id === id && (!byProvider || m.provider === prefix));
  if (!candidates.length) {
    throw new AppError("VALIDATION_ERROR", `Unknown model "${model}": GET /api/v1/model lists the models of the configured providers`, [{ field, message: "not served by any configured provider" }]);
  }
  const able = candidates.find((m) => m.capabilities.includes(capability));
  if (!able) throw new AppError("VALIDATION_ERROR", `Model "${model}" can't do ${capability}`, [{ field, message: `has no ${capability} capability` }]);
  return able;
}

/** The vision model of a provider, if it has one (images then go to it). */
export async function visionModelOf(env: Env, provider: ProviderName): Promise<ModelInfo | undefined> {
  const { models } = await listModels(env);
  const of = models.filter((m) => m.provider === provider && m.capabilities.includes("vision"));
  return of.find((m) => m.default_for.includes("vision")) ?? of[0];
}

function openAiContent(t: ChatTurn): unknown {
  if (!t.images?.length) return t.text;
  return [{ type: "text", text: t.text }, ...t.images.map((img) => ({ type: "image_url", image_url: { url: `data:${img.mediaType};base64,${img.base64}` } }))];
}

/** A plain chat completion as text deltas, through the provider that serves `model`. */
export async function* chatWith(env: Env, model: ModelInfo, turns: ChatTurn[], opts: ChatOptions = {}): AsyncGenerator<string> {
  if (turns.some((t) => t.images?.length) && !model.capabilities.includes("vision")) {
    throw new AppError("VALIDATION_ERROR", `Model "${model.id}" can't look at images`, [{ field: "model", message: "no vision capability" }]);
  }
  const cfg = config(env).ai;
  const started = performance.now();
  let ok = false;
  try {
    switch (model.provider) {
      case "local":
        yield* localChat(turns);
        break;
      case "anthropic":
        yield* anthropicChat(cfg.anthropic as AnthropicSettings, turns, model.id, opts);
        break;
      case "openai": {
        const o = cfg.openai;
        const res = await fetch(`${o.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...(o.apiKey ? { Authorization: `Bearer ${o.apiKey}` } : {}) },
          body: JSON.stringify({
            model: model.id,
            messages: turns.map((t) => ({ role: t.role, content: openAiContent(t) })),
            stream: true,
            ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
            ...(opts.maxTokens !== undefined ? { max_tokens: opts.maxTokens } : {}),
          }),
        });
        if (!res.ok) throw new ProviderError(`/chat/completions answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
        if (!res.body) throw new ProviderError("/chat/completions answered without a body");
        for await (const data of sseData(res.body)) {
          if (data === "[DONE]") break;
          try {
            const delta = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
            if (delta) yield delta;
          } catch {
            /* keep-alive */
          }
        }
        break;
      }
      case "workers-ai": {
        if (!env.AI) throw new ProviderError("workers-ai needs the AI binding ([env.production] in wrangler.toml)");
        const ai = env.AI as unknown as { run(model: string, input: unknown): Promise<unknown> };
        const stream = (await ai.run(model.id, {
          messages: turns.map((t) => ({ role: t.role, content: openAiContent(t) })),
          stream: true,
          ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
          ...(opts.maxTokens !== undefined ? { max_tokens: opts.maxTokens } : {}),
        })) as ReadableStream<Uint8Array>;
        for await (const data of sseData(stream)) {
          if (data === "[DONE]") break;
          try {
            const piece = (JSON.parse(data) as { response?: string }).response;
            if (piece) yield piece;
          } catch {
            /* partial line */
          }
        }
        break;
      }
    }
    ok = true;
  } finally {
    recordAiCall(model.provider, "chat", ok, (performance.now() - started) / 1000);
  }
}

/** The local provider is no LLM: it says so and repeats what it was asked (deterministic, offline). */
async function* localChat(turns: ChatTurn[]): AsyncGenerator<string> {
  const last = [...turns].reverse().find((t) => t.role === "user")?.text ?? "";
  const text = `The local provider has no language model (set AI_PROVIDER or AI_PROVIDERS to a model provider). You wrote: ${last.slice(0, 500)}`;
  for (const piece of text.split(/(?<=\s)/)) yield piece;
}

/** Joins a chat's deltas. */
export async function chatText(env: Env, model: ModelInfo, turns: ChatTurn[], opts: ChatOptions = {}): Promise<string> {
  let out = "";
  for await (const d of chatWith(env, model, turns, opts)) out += d;
  return out;
}
