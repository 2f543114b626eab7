// Picks the AI provider named by AI_PROVIDER (local by default: offline and deterministic).
import { config } from "../../config";
import type { Env } from "../../env";
import { localProvider } from "./local";
import { openAiProvider } from "./openai";
import type { AiProvider } from "./types";
import { meteredProvider } from "../../modules/metrics/ai";
import { workersAiProvider } from "./workers-ai";
import { chatWith, resolveModel, type ModelInfo } from "./chat";

export type { AiProvider } from "./types";

/**
 * The provider for a grounded answer with the creator's chosen chat model (assistant persona
 * `chat_model`): retrieval and embeddings stay on AI_PROVIDER (one vector space), generation goes
 * to whichever configured provider serves the model. An unknown model is a 422 at persona update;
 * one that disappeared since falls back to the default provider.
 */
export async function answerProvider(env: Env, chatModel: string | null | undefined): Promise<AiProvider> {
  const base = aiProvider(env);
  if (!chatModel) return base;
  let model: ModelInfo;
  try {
    model = await resolveModel(env, chatModel, "chat");
  } catch {
    return base;
  }
  if (model.provider === base.name && model.id === base.chatModel) return base;
  const chosen: AiProvider = Object.create(base);
  Object.defineProperty(chosen, "chatModel", { value: model.id });
  chosen.generate = (prompt) => chatWith(env, model, prompt.messages.map((m) => ({ role: m.role, text: m.content })), { temperature: 0.2 });
  return chosen;
}

export function aiProvider(env: Env): AiProvider {
  // Every embed/generate call is counted and timed for /metrics (src/modules/metrics/ai.ts).
  return meteredProvider(pickProvider(env));
}

function pickProvider(env: Env): AiProvider {
  const cfg = config(env);
  switch (cfg.aiProvider) {
    case "openai":
      return openAiProvider(cfg.ai.openai);
    case "workers-ai":
      return workersAiProvider(env.AI, cfg.ai.workersAi);
    case "anthropic": {
      // Claude has no embeddings: vectors come from the local provider, answers from the Messages API.
      const local = localProvider(cfg.ai.localEmbeddingDimensions);
      const anthropic: AiProvider = Object.create(local);
      Object.defineProperties(anthropic, { name: { value: "anthropic" }, chatModel: { value: cfg.ai.anthropic.chatModel } });
      const model: ModelInfo = { id: cfg.ai.anthropic.chatModel, provider: "anthropic", capabilities: ["chat", "vision"], default_for: ["chat"] };
      anthropic.generate = (prompt) => chatWith(env, model, prompt.messages.map((m) => ({ role: m.role, text: m.content })), { temperature: 0.2 });
      anthropic.health = async () => (cfg.ai.anthropic.apiKey ? { status: "available" } : { status: "unavailable", detail: "ANTHROPIC_API_KEY is not set" });
      return anthropic;
    }
    default:
      return localProvider(cfg.ai.localEmbeddingDimensions);
  }
}
