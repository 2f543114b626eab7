// Picks the AI provider named by AI_PROVIDER (local by default: offline and deterministic).
import { config } from "../../config";
import type { Env } from "../../env";
import { localProvider } from "./local";
import { openAiProvider } from "./openai";
import type { AiProvider } from "./types";
import { meteredProvider } from "../../modules/metrics/ai";
import { workersAiProvider } from "./workers-ai";

export type { AiProvider } from "./types";

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
    default:
      return localProvider(cfg.ai.localEmbeddingDimensions);
  }
}
